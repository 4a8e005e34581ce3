/**
 * A distributed run on one machine: network namespaces stand in for hosts (test/fixtures/hosts.ts). Host A runs
 * `glassbench sfu --host <A>` with a token and an InfluxDB; hosts B and C each run one shard against it, start
 * their hold at one instant (`--start-at`) and write to that InfluxDB; `report --influx --testid` merges them.
 * Shard B's clock is skewed by +250 ms through GLASSBENCH_TEST_CLOCK_SKEW_MS, a test aid that fakes a host whose
 * clock is off (the wall clock cannot be skewed per namespace): B must estimate the offset and correct the SFU's
 * times, so its uplink_ms agrees with C's.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { nowMs } from '../../src/metrics/clock.js';
import type { TrendSummary } from '../../src/metrics/histogram.js';
import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readSummary, tempDir, writeScenario } from '../fixtures/cli.js';
import { fetchIn, type Hosts, makeHosts, stopAll } from '../fixtures/hosts.js';
import { type ServerHandle, startInfluxd } from '../fixtures/influxdb.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const TOKEN = 'distributed-test-token';
const SKEW_MS = 250;

const count = (summary: RunSummary, name: string): number =>
  (summary.metrics[name] as { count?: number } | undefined)?.count ?? 0;
const trend = (summary: RunSummary, name: string): TrendSummary | undefined =>
  summary.metrics[name] as TrendSummary | undefined;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function finish(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('distributed run (namespaces standing in for hosts)', () => {
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

  it('two shards on two hosts against an SFU on a third merge into one report, and a skewed clock is corrected', async () => {
    hosts = makeHosts(['A', 'B', 'C']);
    const { A } = hosts.hosts as Record<'A' | 'B' | 'C', { netns: string; address: string }>;
    const influx = await startInfluxd(undefined, { netns: A.netns, host: A.address });
    servers.push(influx);
    expect(
      fetchIn(A.netns, `${influx.url}/query?q=${encodeURIComponent('CREATE DATABASE "glassbench"')}`, {
        method: 'POST',
      }).status,
    ).toBe(200);

    const sfu = hosts.spawn('A', process.execPath, [CLI, 'sfu', '--host', A.address, '--port', '0', '--token', TOKEN]);
    children.push(sfu);
    const sfuUrl = await new Promise<string>((resolve, reject) => {
      let text = '';
      sfu.stdout?.on('data', (d: Buffer) => {
        text += d.toString();
        const match = /listening on (https?:\/\/[\d.]+:\d+)/.exec(text);
        if (match) resolve(match[1] as string);
      });
      sfu.once('exit', (code) => reject(new Error(`glassbench sfu exited (code ${code}): ${text}`)));
    });

    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'distributed.yaml',
      `name: distributed
duration: 5s
warmup: 1s
rooms: 2
target: { whip: "${sfuUrl}/whip/{room}", whep: "${sfuUrl}/whep/{room}", token: "${TOKEN}" }
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`,
    );
    // one instant for both holds, far enough ahead for both shards to connect and warm up
    const startAtMs = Math.round(nowMs() + 20_000);
    const shardDirs = [join(dir, 'shard1'), join(dir, 'shard2')];
    const shardArgs = (i: number): string[] => [
      CLI,
      'run',
      scenario,
      '--testid',
      'distributed-1',
      '--shard',
      `${i}/2`,
      '--start-at',
      String(startAtMs),
      '--out',
      shardDirs[i - 1] as string,
      '--influx-url',
      influx.url,
      '--influx-db',
      'glassbench',
    ];
    const shardB = hosts.spawn('B', process.execPath, shardArgs(1), {
      env: { ...process.env, GLASSBENCH_TEST_CLOCK_SKEW_MS: String(SKEW_MS) },
    });
    const shardC = hosts.spawn('C', process.execPath, shardArgs(2));
    children.push(shardB, shardC);
    const results = await Promise.all([finish(shardB), finish(shardC)]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const [b, c] = shardDirs.map(readSummary) as [RunSummary, RunSummary];

    // acceptance 2: the merge adds up, the SFU's stage times are known, saturated is the OR of both
    const merged = join(dir, 'merged');
    const report = await finish(
      hosts.spawn('A', process.execPath, [
        CLI,
        'report',
        '--influx',
        '--testid',
        'distributed-1',
        '--influx-url',
        influx.url,
        '--influx-db',
        'glassbench',
        '--out',
        merged,
      ]),
    );
    expect(report.code, report.stderr).toBe(0);
    const summary = readSummary(merged);
    for (const metric of ['frames_sent', 'frames_received', 'frames_lost', 'frame_latency_ms', 'sfu_ms']) {
      expect(count(summary, metric), metric).toBe(count(b, metric) + count(c, metric));
    }
    expect(count(b, 'frames_received')).toBeGreaterThan(200);
    expect(count(c, 'frames_received')).toBeGreaterThan(200);
    expect(count(b, 'sfu_ms')).toBeGreaterThan(0);
    expect(count(c, 'sfu_ms')).toBeGreaterThan(0);
    expect(summary.saturated).toBe(b.saturated || c.saturated);
    expect(summary.shards?.map((s) => s.shard)).toEqual(['1/2', '2/2']);
    // how every receiver named its frames: each shard's tally, added up in the merge
    expect(summary.identity?.methods.extension).toBe(
      (b.identity?.methods.extension ?? 0) + (c.identity?.methods.extension ?? 0),
    );
    expect(summary.identity?.subscriptions).toHaveLength(4);
    expect(summary.identity?.identityLost).toBe(0);
    // the remote SFU's own seconds (CPU, event-loop delay) came with its telemetry, for the bottleneck judge
    expect(b.sfu?.seconds?.length).toBeGreaterThan(0);
    expect(c.sfu?.seconds?.length).toBeGreaterThan(0);

    // acceptance 3: B's estimate of its +250 ms offset holds 250 within its stated uncertainty, C's holds 0
    expect(b.clock?.method).toBe('sfu-endpoint');
    expect(c.clock?.method).toBe('sfu-endpoint');
    expect(Math.abs((b.clock?.offsetMs ?? 0) - SKEW_MS)).toBeLessThanOrEqual(b.clock?.uncertaintyMs ?? -1);
    expect(Math.abs(c.clock?.offsetMs ?? SKEW_MS)).toBeLessThanOrEqual(c.clock?.uncertaintyMs ?? -1);
    const uplinkB = trend(b, 'uplink_ms')?.p50;
    const uplinkC = trend(c, 'uplink_ms')?.p50;
    expect(uplinkB).toBeDefined();
    expect(uplinkC).toBeDefined();
    expect(Math.abs((uplinkB ?? 0) - (uplinkC ?? 1e9))).toBeLessThan(5);
    // both holds began at the one instant, each read on the SFU host's clock as its shard estimated it
    expect(b.startAt?.atMs).toBe(startAtMs);
    expect(c.startAt?.atMs).toBe(startAtMs);
  }, 180_000);
});
