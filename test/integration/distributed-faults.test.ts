/**
 * Faults a distributed run meets, on one machine: network namespaces stand in for hosts (test/fixtures/hosts.ts).
 * Host A runs `glassbench sfu`, host D an InfluxDB; hosts B and C each run one shard. Mid-run, B's link goes down
 * for 3 s and comes back; C cannot reach InfluxDB for the whole run (a blackhole route to D). Each fault must be
 * recorded with what it cost and nothing may be lost: B's outage is a fault, a gap in the timeline, lost or late
 * frames and freezes; C's points wait in influx-pending.lp, are pushed afterwards, and the merge is then complete.
 * Then the SFU is killed and started again mid-run (a shard killed mid-run is in shards.test.ts).
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readSummary, tempDir, writeScenario } from '../fixtures/cli.js';
import { fetchIn, type Hosts, makeHosts, stopAll } from '../fixtures/hosts.js';
import { type ServerHandle, startInfluxd } from '../fixtures/influxdb.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const count = (summary: RunSummary, name: string): number =>
  (summary.metrics[name] as { count?: number } | undefined)?.count ?? 0;

interface Watched {
  child: ChildProcess;
  /** resolves once a progress line says the run has measured for at least `seconds` */
  progress(seconds: number): Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function watch(child: ChildProcess): Watched {
  let stdout = '';
  let stderr = '';
  const waiting: { seconds: number; resolve: () => void }[] = [];
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    const seen = [...stderr.matchAll(/^(\d+(?:\.\d+)?)s\/\S+ {2}peers /gm)].map((m) => Number(m[1]));
    for (const w of waiting.splice(0)) {
      if (seen.some((s) => s >= w.seconds)) w.resolve();
      else waiting.push(w);
    }
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    child,
    done,
    progress: (seconds) =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ seconds, resolve });
        void done.then((r) => reject(new Error(`the run ended before ${seconds} s of progress:\n${r.stderr}`)));
      }),
  };
}

/** `glassbench sfu` on host A (`address`), on `port` (0: a free one); resolves once it listens. */
async function startSfu(
  hosts: Hosts,
  address: string,
  port: number,
  children: ChildProcess[],
): Promise<{ url: string; sfu: Watched }> {
  const sfu = watch(hosts.spawn('A', process.execPath, [CLI, 'sfu', '--host', address, '--port', String(port)]));
  children.push(sfu.child);
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    sfu.child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
      if (match) resolve(match[1] as string);
    });
    void sfu.done.then((r) => reject(new Error(`glassbench sfu exited (code ${r.code}): ${r.stderr}`)));
  });
  return { url, sfu };
}

function ipIn(netns: string, args: string[]): void {
  const result = spawnSync('ip', ['-n', netns, ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip -n ${netns} ${args.join(' ')}: ${result.stderr}`);
}

describe('faults of a distributed run (namespaces standing in for hosts)', () => {
  let hosts: Hosts | undefined;
  const children: ChildProcess[] = [];
  const servers: ServerHandle[] = [];
  afterEach(async () => {
    await stopAll(children);
    for (const server of servers.splice(0)) await server.stop();
    hosts?.close();
    hosts = undefined;
    expect(glassbenchChildPids()).toEqual([]);
  });

  it("one shard's link down for 3 s and back; InfluxDB unreachable from the other: both recorded, nothing lost", async () => {
    hosts = makeHosts(['A', 'B', 'C', 'D']);
    const { A, B, C, D } = hosts.hosts as Record<'A' | 'B' | 'C' | 'D', { netns: string; address: string }>;
    const influx = await startInfluxd(undefined, { netns: D.netns, host: D.address });
    servers.push(influx);
    const create = `${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE "glassbench"')}`;
    expect(fetchIn(D.netns, create, { method: 'POST' }).status).toBe(200);
    // C reaches A (the SFU) but not D (InfluxDB), as a shard behind a firewall would
    ipIn(C.netns, ['route', 'add', 'blackhole', `${D.address}/32`]);

    const { url: sfuUrl } = await startSfu(hosts, A.address, 0, children);
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'faults.yaml',
      `name: distributed-faults
duration: 14s
rooms: 2
target: { whip: "${sfuUrl}/whip/{room}", whep: "${sfuUrl}/whep/{room}" }
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`,
    );
    const influxArgs = ['--influx-url', influx.url, '--influx-db', 'glassbench'];
    const outB = join(dir, 'shard1');
    const outC = join(dir, 'shard2');
    const shard = (i: number, out: string): string[] => [
      CLI,
      'run',
      scenario,
      '--testid',
      'faults-1',
      '--shard',
      `${i}/2`,
      '--out',
      out,
      ...influxArgs,
    ];
    const shardB = watch(hosts.spawn('B', process.execPath, shard(1, outB)));
    const shardC = watch(hosts.spawn('C', process.execPath, shard(2, outC)));
    children.push(shardB.child, shardC.child);

    await shardB.progress(4);
    ipIn(B.netns, ['link', 'set', 'eth0', 'down']);
    await new Promise((r) => setTimeout(r, 3000));
    ipIn(B.netns, ['link', 'set', 'eth0', 'up']);
    const [doneB, doneC] = await Promise.all([shardB.done, shardC.done]);
    expect(doneB.code, doneB.stderr).toBe(0);
    expect(doneC.code, doneC.stderr).toBe(0);
    const b = readSummary(outB);
    const c = readSummary(outC);

    // B: the outage is a fault with its length, a gap in the timeline, frames lost and a freeze per receiver
    const outage = (b.faults ?? []).find((f) => f.what.startsWith('no frame reached any receiver'));
    expect(outage, JSON.stringify(b.faults)).toBeDefined();
    expect(outage?.what).toMatch(/for [2-4]-[3-5] s, from [3-7] s into the hold/);
    const timeline = b.load?.timeline ?? [];
    const silent = timeline.filter((t) => t.framesReceived === 0).length;
    expect(silent, JSON.stringify(timeline)).toBeGreaterThanOrEqual(2);
    // frames flow again after the link is back (the last entry can be a tick of a few ms as the hold ends)
    expect(
      timeline.slice(-4, -1).every((t) => t.framesReceived > 0),
      JSON.stringify(timeline),
    ).toBe(true);
    expect(b.peers.failed).toEqual([]);
    // the gap's frames (20 fps, 2 receivers, about 3 s) were lost or came late: none vanished
    expect(count(b, 'frames_lost') + count(b, 'frames_late')).toBeGreaterThan(2 * 20);
    expect(b.accounting?.holds).toBe(true);
    expect(count(b, 'freeze_count')).toBeGreaterThanOrEqual(2);
    expect(count(b, 'freeze_ms')).toBeGreaterThan(2 * 2000);

    // C: InfluxDB never answered, so every point waits in influx-pending.lp, and the console said so
    expect(c.influx?.pointsWritten).toBe(0);
    expect(c.influx?.pointsPending).toBeGreaterThan(count(c, 'frames_received'));
    expect(existsSync(join(outC, 'influx-pending.lp'))).toBe(true);
    expect(doneC.stderr).toContain('points are kept in');
    // the route is back: each shard pushes what it kept (B too, if its writes failed during its outage), and
    // the merge is then complete
    ipIn(C.netns, ['route', 'del', 'blackhole', `${D.address}/32`]);
    for (const [host, out, summary] of [
      ['B', outB, b],
      ['C', outC, c],
    ] as const) {
      if ((summary.influx?.pointsPending ?? 0) === 0) continue;
      const push = watch(hosts.spawn(host, process.execPath, [CLI, 'report', '--push-influx', out, ...influxArgs]));
      const pushed = await push.done;
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stdout).toContain(`push-influx: ${summary.influx?.pointsPending} points sent`);
    }
    const merged = join(dir, 'merged');
    const report = watch(
      hosts.spawn('D', process.execPath, [
        CLI,
        'report',
        '--influx',
        '--testid',
        'faults-1',
        ...influxArgs,
        '--out',
        merged,
      ]),
    );
    const reported = await report.done;
    expect(reported.code, reported.stderr).toBe(0);
    const summary = readSummary(merged);
    expect(summary.error).toBeUndefined();
    expect(summary.shards?.map((s) => [s.shard, s.complete])).toEqual([
      ['1/2', true],
      ['2/2', true],
    ]);
    for (const metric of ['frames_sent', 'frames_received', 'frames_lost', 'frame_latency_ms'])
      expect(count(summary, metric), metric).toBe(count(b, metric) + count(c, metric));
  }, 180_000);

  it('the SFU restarted mid-run: every peer marked failed and the run ended (107), the outage and the telemetry gap recorded, every frame accounted for', async () => {
    hosts = makeHosts(['A', 'B']);
    const { A } = hosts.hosts as Record<'A' | 'B', { netns: string; address: string }>;
    const first = await startSfu(hosts, A.address, 0, children);
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'restart.yaml',
      `name: sfu-restart
duration: 18s
silenceTimeout: 6s
target: { whip: "${first.url}/whip/{room}", whep: "${first.url}/whep/{room}" }
peers:
  - { role: publisher, count: 1, video: { source: encoded, fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
  - { role: subscriber, kind: browser, count: 1 }
thresholds:
  frame_loss_ratio: ["rate<0.1"]
`,
    );
    const out = join(dir, 'out');
    const run = watch(hosts.spawn('B', process.execPath, [CLI, 'run', scenario, '--out', out]));
    children.push(run.child);
    await run.progress(3);
    first.sfu.child.kill('SIGKILL');
    await first.sfu.done;
    await startSfu(hosts, A.address, Number(new URL(first.url).port), children);
    const done = await run.done;
    // the restarted SFU knows none of the run's sessions, and werift would call them connected for 30 s more:
    // each peer hears nothing for silenceTimeout and is marked failed; with no peer left the run ends (exit 107)
    // with a complete report of what happened, the loss threshold failed too
    const summary = readSummary(out);
    expect(done.code, done.stderr).toBe(107);
    expect(summary.status).toBe('error');
    expect(summary.error?.code).toBe('RUN_FAILED');
    expect(summary.error?.message).toMatch(/^no peer is left \(r1-[a-z0-9-]+: nothing arrived from http:/);
    expect(summary.thresholds['frame_loss_ratio']?.[0]?.ok).toBe(false);
    const failed = summary.peers.failed;
    expect(failed.map((f) => f.peer).sort(), JSON.stringify(failed)).toEqual(
      ['r1-pub1-1', 'r1-sub2-1', 'r1-sub2-2', 'r1-sub3-1'].sort(),
    );
    for (const f of failed) {
      expect(f.message).toMatch(/^nothing arrived from http:\/\/[\d.]+:\d+ for [6-8] s \(silenceTimeout 6 s\)/);
    }
    expect(done.stderr).toMatch(/nothing arrived from http:/);
    const whats = (summary.faults ?? []).map((f) => f.what);
    expect(whats.filter((w) => w.includes('the media connection is lost')).length, whats.join('; ')).toBe(4);
    // the outage lasted until the run ended: no frame came back
    const outage = whats.find((w) => w.startsWith('no frame reached any receiver')) ?? '';
    expect(outage, whats.join('; ')).toMatch(
      /^no frame reached any receiver for the last (\d+) s of the hold, from [2-5] s into it$/,
    );
    expect(Number(/the last (\d+) s/.exec(outage)?.[1])).toBeGreaterThanOrEqual(4);
    expect(
      whats.some((w) => w.includes('telemetry stream') && w.includes('ended mid-run')),
      whats.join('; '),
    ).toBe(true);
    // the timeline shows the gap, and the peers falling away
    const timeline = summary.load?.timeline ?? [];
    // before the restart, the browser received too: more than the two synthetic subscribers' 40 frames a second
    expect(timeline[1]?.framesReceived, JSON.stringify(timeline)).toBeGreaterThan(45);
    expect(timeline.filter((t) => t.framesReceived === 0).length).toBeGreaterThanOrEqual(4);
    expect(timeline[1]?.peers).toBe(4);
    expect(timeline.at(-1)?.peers, JSON.stringify(timeline)).toBeLessThan(4);
    // every frame due at a receiver until it was marked failed is received, late or lost: the silence's frames
    // are counted lost (about 3 s at 20 fps, at each of 3 receivers), not dropped
    expect(summary.accounting?.holds).toBe(true);
    expect(count(summary, 'frames_lost')).toBeGreaterThan(2 * 20 * 2);
  }, 120_000);
});
