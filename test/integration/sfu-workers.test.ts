/**
 * The reference SFU with worker processes (`workers: 2`): rooms placed one per worker, a room spread over both
 * (its publisher's packets piped between them) delivering every frame to every subscriber with identity intact,
 * and a worker killed mid-run: its sessions end, the run records the fault and what it cost, the other worker's
 * room loses nothing, and the worker comes back.
 */
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ReferenceServer } from '../../reference-server/server.js';
import type { RunSummary } from '../../src/report/summary.js';
import { readFrames, readSummary, runCli, startCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

interface WorkerHealth {
  index: number;
  pid: number;
  ready: boolean;
  rooms: number;
  roomIds: string[];
  publishers: number;
  subscribers: number;
  restarts: number;
}

const count = (summary: RunSummary, name: string): number =>
  (summary.metrics[name] as { count?: number } | undefined)?.count ?? 0;

async function workersOf(base: string): Promise<WorkerHealth[]> {
  return ((await (await fetch(`${base}/healthz`)).json()) as { workers: WorkerHealth[] }).workers;
}

/** The value of one series of `/metrics` text (labels exactly as given, in order), 0 when absent. */
function series(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

function scenarioFor(base: string, name: string, rooms: number, subscribers: number, duration: string): string {
  return `name: ${name}
duration: ${duration}
rooms: ${rooms}
target: { whip: "${base}/whip/{room}", whep: "${base}/whep/{room}" }
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: ${subscribers} }
`;
}

describe('reference SFU workers', () => {
  const servers: ReferenceServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    expect(glassbenchChildPids()).toEqual([]);
  });

  async function start(options: { subscribersPerWorker?: number } = {}): Promise<string> {
    const server = new ReferenceServer({ workers: 2, ...options });
    servers.push(server);
    return `http://127.0.0.1:${await server.listen(0)}`;
  }

  it('puts one room on each worker, and /metrics shows both forwarding', async () => {
    const base = await start();
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'rooms.yaml', scenarioFor(base, 'two-rooms', 2, 2, '3s'));
    const during = runCli(['run', scenario, '--out', join(dir, 'out')]);
    let placed = await workersOf(base);
    while (placed.some((w) => w.subscribers < 2)) {
      await new Promise((r) => setTimeout(r, 200));
      placed = await workersOf(base);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(placed.map((w) => w.roomIds)).toEqual(expect.arrayContaining([['r1'], ['r2']]));
    expect(placed.map((w) => [w.publishers, w.subscribers])).toEqual([
      [1, 2],
      [1, 2],
    ]);
    const result = await during;
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(join(dir, 'out'));
    expect(count(summary, 'frames_lost')).toBe(0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const out0 = series(metrics, 'glassbench_sfu_packets_out_total', '{kind="video",worker="0"}');
    const out1 = series(metrics, 'glassbench_sfu_packets_out_total', '{kind="video",worker="1"}');
    expect(out0).toBeGreaterThan(100);
    expect(out1).toBeGreaterThan(100);
    // the unlabelled series is the total, what a one-process SFU reports
    expect(series(metrics, 'glassbench_sfu_packets_out_total', '{kind="video"}')).toBe(out0 + out1);
    expect(series(metrics, 'glassbench_sfu_pipe_packets_total', '{direction="out"}')).toBe(0);
  }, 90_000);

  it('a scenario with sfu.workers 2 runs the built-in SFU as a front and two workers, each its own process', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'builtin.yaml',
      `name: builtin-workers
duration: 3s
rooms: 2
sfu: { workers: 2 }
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`,
    );
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')]);
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(join(dir, 'out'));
    expect(count(summary, 'frames_lost')).toBe(0);
    expect(count(summary, 'frames_received')).toBeGreaterThan(100);
    expect(
      Object.keys(summary.processes)
        .filter((name) => name.startsWith('sfu'))
        .sort(),
    ).toEqual(['sfu', 'sfu-w0', 'sfu-w1']);
    expect(summary.faults ?? []).toEqual([]);
  }, 90_000);

  it('spreads a room over both workers: every frame reaches every subscriber, identity intact', async () => {
    const base = await start({ subscribersPerWorker: 2 });
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'spread.yaml', scenarioFor(base, 'spread', 1, 4, '4s'));
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')]);
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(join(dir, 'out'));
    const sent = count(summary, 'frames_sent');
    expect(sent).toBeGreaterThan(50);
    expect(count(summary, 'frames_lost')).toBe(0);
    expect(count(summary, 'identity_lost')).toBe(0);
    expect(summary.accounting?.received).toBe(summary.accounting?.expected);
    const frames = readFrames(join(dir, 'out'));
    const bySubscriber = new Map<string, Set<unknown>>();
    for (const f of frames) {
      expect(f['identity']).toBe('extension');
      if (f['warmup'] === true) continue; // subscribers join at different times: only the measured window is common
      const set = bySubscriber.get(f['subscriber'] as string) ?? new Set();
      set.add(f['frameId']);
      bySubscriber.set(f['subscriber'] as string, set);
    }
    expect(bySubscriber.size).toBe(4);
    const ids = [...bySubscriber.values()].map((s) => s.size);
    expect(new Set(ids).size).toBe(1); // each subscriber got the same frames, no duplicates
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const piped =
      series(metrics, 'glassbench_sfu_pipe_packets_total', '{direction="out",worker="0"}') +
      series(metrics, 'glassbench_sfu_pipe_packets_total', '{direction="out",worker="1"}');
    expect(piped).toBeGreaterThan(100);
    expect(series(metrics, 'glassbench_sfu_pipe_packets_total', '{direction="in"}')).toBe(piped);
    for (const worker of ['0', '1'])
      expect(series(metrics, 'glassbench_sfu_packets_out_total', `{kind="video",worker="${worker}"}`)).toBeGreaterThan(
        100,
      );
  }, 90_000);

  it('a worker killed mid-run ends only its sessions; the run records the fault; the worker comes back', async () => {
    const base = await start();
    const dir = await tempDir();
    const text = `${scenarioFor(base, 'kill', 2, 2, '8s')}thresholds:
  "frames_lost{room:r1}": ["count==0"]
  "frames_lost{room:r2}": ["count==0"]
`;
    const scenario = await writeScenario(dir, 'kill.yaml', text);
    const run = startCli(['run', scenario, '--out', join(dir, 'out')]);
    await run.waitForProgress(2);
    const before = await workersOf(base);
    const victim = before.find((w) => w.roomIds.length === 1 && w.subscribers === 2);
    const survivor = before.find((w) => w !== victim);
    if (!victim || !survivor) throw new Error(`rooms not one per worker: ${JSON.stringify(before)}`);
    process.kill(victim.pid, 'SIGKILL');
    const code = await run.exit;
    const summary = readSummary(join(dir, 'out'));
    // the killed worker's room lost frames, so the run fails its threshold: exit 99 (thresholds), not a crash
    expect(code, run.stderr()).toBe(99);
    const fault = summary.faults?.find((f) => f.what.includes(`worker ${victim.index}`));
    expect(fault, JSON.stringify(summary.faults)).toBeDefined();
    expect(fault?.cost).toMatch(/1 room.*1 publisher.*2 subscriber/);
    const verdict = (room: string): boolean | undefined => summary.thresholds[`frames_lost{room:${room}}`]?.[0]?.ok;
    expect(verdict(victim.roomIds[0] as string)).toBe(false);
    expect(verdict(survivor.roomIds[0] as string)).toBe(true);
    const after = await workersOf(base);
    const back = after.find((w) => w.index === victim.index);
    expect(back).toMatchObject({ ready: true, restarts: 1 });
    expect(back?.pid).not.toBe(victim.pid);
    expect(after.find((w) => w.index === survivor.index)?.pid).toBe(survivor.pid);
  }, 90_000);
});
