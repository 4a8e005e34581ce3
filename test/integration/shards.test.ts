/**
 * Sharding: two shards of one run, started as separate processes (as a Kubernetes Indexed Job or a CI matrix
 * would), against one SFU (`glassbench sfu`) and one real InfluxDB, merged with `report --influx --testid`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readFrames, readSummary, runCli, startCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { createDatabase, influxQuery, type ServerHandle, startInfluxd } from '../fixtures/influxdb.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const count = (summary: RunSummary, name: string): number =>
  (summary.metrics[name] as { count?: number } | undefined)?.count ?? 0;

/** `glassbench sfu` on a free port; resolves with its URL once it listens. */
function startSfu(): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sfu', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match) resolve({ url: match[1] as string, child });
    });
    child.once('exit', (code) => reject(new Error(`glassbench sfu exited (code ${code}): ${text}`)));
  });
}

describe('sharded runs', () => {
  const servers: ServerHandle[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    for (const server of servers.splice(0)) await server.stop();
    expect(glassbenchChildPids()).toEqual([]);
  });

  /** A real InfluxDB with the run's database, `glassbench sfu`, and a directory for the run's files. */
  async function setUp(): Promise<{ influx: ServerHandle; sfu: { url: string }; dir: string }> {
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const sfu = await startSfu();
    children.push(sfu.child);
    return { influx, sfu, dir: await tempDir() };
  }

  it('two shards against one SFU and one InfluxDB merge into a summary whose frame counts are the sum of theirs', async () => {
    const { influx, sfu, dir } = await setUp();
    const scenario = await writeScenario(
      dir,
      'sharded.yaml',
      `name: sharded
duration: 4s
rooms: 3
target: { whip: "${sfu.url}/whip/{room}", whep: "${sfu.url}/whep/{room}" }
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`,
    );
    const influxArgs = ['--influx-url', influx.url, '--influx-db', 'glassbench'];
    const shardDirs = [join(dir, 'shard1'), join(dir, 'shard2')];
    const results = await Promise.all(
      [1, 2].map((i) =>
        runCli([
          'run',
          scenario,
          '--testid',
          'sharded-1',
          '--shard',
          `${i}/2`,
          '--out',
          shardDirs[i - 1] as string,
          ...influxArgs,
        ]),
      ),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const shards = shardDirs.map(readSummary);
    // whole rooms per shard: r1 and r3 in shard 1, r2 in shard 2
    expect(shards.map((s) => s.peers.planned)).toEqual([6, 3]);
    expect(shards.map((s) => s.shard)).toEqual([
      { index: 1, count: 2 },
      { index: 2, count: 2 },
    ]);
    const tags = await influxQuery(
      influx.url,
      'glassbench',
      `SHOW TAG VALUES FROM "frame" WITH KEY = "shard" WHERE testid = 'sharded-1'`,
    );
    expect(tags[0]?.values.map((v) => v[1])).toEqual(['1/2', '2/2']);

    const merged = join(dir, 'merged');
    const report = await runCli(['report', '--influx', '--testid', 'sharded-1', ...influxArgs, '--out', merged]);
    expect(report.code, report.stderr).toBe(0);
    const summary = readSummary(merged);
    for (const metric of ['frames_received', 'frames_sent', 'frames_lost']) {
      expect(count(summary, metric), metric).toBe(
        count(shards[0] as RunSummary, metric) + count(shards[1] as RunSummary, metric),
      );
    }
    expect(count(summary, 'frames_received')).toBeGreaterThan(300);
    // the merged latency is summarised from every shard's frames, not taken from one shard
    expect(count(summary, 'frame_latency_ms')).toBe(
      count(shards[0] as RunSummary, 'frame_latency_ms') + count(shards[1] as RunSummary, 'frame_latency_ms'),
    );
    expect(readFrames(merged).length).toBe(
      readFrames(shardDirs[0] as string).length + readFrames(shardDirs[1] as string).length,
    );
    expect(summary.shards?.map((s) => s.shard)).toEqual(['1/2', '2/2']);
    // each shard read the SFU's telemetry (its own frames only) and kept its clock through InfluxDB
    expect(summary.shards?.map((s) => s.clock?.method)).toEqual(['sfu-endpoint', 'sfu-endpoint']);
    expect(summary.shards?.map((s) => s.clock?.offsetMs)).toEqual(shards.map((s) => s.clock?.offsetMs));
    expect(count(summary, 'sfu_ms')).toBe(
      count(shards[0] as RunSummary, 'sfu_ms') + count(shards[1] as RunSummary, 'sfu_ms'),
    );
    expect(count(shards[1] as RunSummary, 'sfu_ms')).toBe(count(shards[1] as RunSummary, 'frame_latency_ms'));
    // saturated is any shard's; Rates add count and hits; CPU merges both shards' samples (from their
    // summaries), each shard's processes are kept apart; synthetic receivers' packet loss comes from the
    // webrtc points of both shards
    expect(summary.saturated).toBe(shards.some((s) => s.saturated));
    expect(summary.metrics['frame_loss_ratio']).toMatchObject({
      count: count(shards[0] as RunSummary, 'frame_loss_ratio') + count(shards[1] as RunSummary, 'frame_loss_ratio'),
    });
    expect(count(summary, 'cpu_pct')).toBe(
      count(shards[0] as RunSummary, 'cpu_pct') + count(shards[1] as RunSummary, 'cpu_pct'),
    );
    expect(
      Object.keys(summary.processes)
        .filter((p) => p.startsWith('runner-'))
        .sort(),
    ).toEqual(['runner-1-shard1', 'runner-1-shard2']);
    const lossSamples =
      count(shards[0] as RunSummary, 'packet_loss_pct') + count(shards[1] as RunSummary, 'packet_loss_pct');
    // without a warm-up flag on webrtc points, a sample within one frame of the window's start may be misjudged
    expect(Math.abs(count(summary, 'packet_loss_pct') - lossSamples)).toBeLessThanOrEqual(6);
    expect(count(summary, 'packet_loss_pct')).toBeGreaterThan(0);
    expect(summary.notes.join(' ')).toContain('merged 2 shard(s)');

    const bad = await runCli(['run', scenario, '--shard', '3/2', '--testid', 'x']);
    expect(bad.code).toBe(104);
    expect(bad.stderr).toContain('--shard 3/2: expected i/n with 1 <= i <= n');
    expect((await runCli(['run', scenario, '--shard', '1/2'])).stderr).toContain('--shard needs --testid');
  }, 120_000);

  it('a shard killed mid-run: the merge marks the run partial and counts what that shard had written', async () => {
    const { influx, sfu, dir } = await setUp();
    const scenario = await writeScenario(
      dir,
      'killed.yaml',
      `name: killed-shard
duration: 12s
rooms: 2
target: { whip: "${sfu.url}/whip/{room}", whep: "${sfu.url}/whep/{room}" }
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`,
    );
    const influxArgs = ['--influx-url', influx.url, '--influx-db', 'glassbench'];
    const shardArgs = (i: number): string[] => [
      'run',
      scenario,
      '--testid',
      'killed-1',
      '--shard',
      `${i}/2`,
      '--out',
      join(dir, `shard${i}`),
      ...influxArgs,
    ];
    const first = runCli(shardArgs(1), { timeoutMs: 60_000 });
    // shard 2 is lost as a pod or a machine is: SIGKILL to its whole process group, harness and runners at once
    const second = startCli(shardArgs(2), { group: true });
    // frames are judged (and written) 3 s after they were seen: by 7 s, a few seconds of them are in InfluxDB
    await second.waitForProgress(7);
    process.kill(-(second.child.pid as number), 'SIGKILL');
    expect(await second.exit).toBe(null);
    const one = await first;
    expect(one.code, one.stderr).toBe(0);
    const shard1 = readSummary(join(dir, 'shard1'));

    const merged = join(dir, 'merged');
    const report = await runCli(['report', '--influx', '--testid', 'killed-1', ...influxArgs, '--out', merged]);
    expect(report.code, report.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(merged, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.status).toBe('error');
    expect(summary.error?.code).toBe('SHARD_LOST');
    expect(summary.error?.message).toContain('shard 2/2 (');
    expect(summary.error?.message).toContain('wrote no summary');
    expect(summary.shards?.map((s) => [s.shard, s.complete])).toEqual([
      ['1/2', true],
      ['2/2', false],
    ]);
    // what shard 2 had written before it died is in the merge: its measured frames counted as received
    const lostShardFrames = readFrames(merged).filter(
      (f) => f['shard'] === '2/2' && f['warmup'] !== true && f['kind'] !== 'speech',
    ).length;
    expect(lostShardFrames).toBeGreaterThan(20);
    expect(count(summary, 'frames_received')).toBe(count(shard1, 'frames_received') + lostShardFrames);
    const withLatency = readFrames(merged).filter(
      (f) => f['shard'] === '2/2' && f['warmup'] !== true && typeof f['frameLatencyMs'] === 'number',
    ).length;
    expect(count(summary, 'frame_latency_ms')).toBe(count(shard1, 'frame_latency_ms') + withLatency);
  }, 120_000);
});
