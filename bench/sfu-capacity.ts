/**
 * Bench part (f): the total synthetic subscribers the reference SFU serves at frame_latency_ms p95 < 50 ms with
 * `sfu.workers` 1, 2, ... on this machine. Each step is rooms of one synthetic publisher (640x360, 30 fps,
 * 600 kbps) and 50 synthetic subscribers, as many peer runners as rooms (the plan spreads peers round-robin, so
 * each runner carries one room's load); a workers value stops at its first step that fails. Every step shows
 * each SFU process's CPU and the runners', so a reader sees which side was the limit: the SFU (a bottleneck
 * named), the generator (a runner saturated) or the machine (its CPU full, the SFU and the runners sharing it). BENCH_SFU_WORKERS (default 1,2), BENCH_SFU_STEPS (total subscribers,
 * default 100,200,300,400,600,800,1000), BENCH_SFU_HOLD (default 15s).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TrendSummary } from '../src/metrics/histogram.js';
import { runScenario } from '../src/orchestrator/runner.js';
import type { ProcessUsage, RunSummary } from '../src/report/summary.js';
import { scenarioFromText } from '../src/scenario/validate.js';
import { f1 } from './format.js';

/** subscribers per room, as the issue measured */
const ROOM_SUBSCRIBERS = 50;

const list = (text: string): number[] =>
  text
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);

export interface SfuCapacityOptions {
  /** `sfu.workers` values, each its own series of steps */
  workers: number[];
  /** total subscribers of each step (rooms of 50; a step under 50 is one room of that many) */
  steps: number[];
  /** measured time of each step, a scenario duration */
  hold: string;
  log: (text: string) => void;
}

export interface SfuCapacityStep {
  workers: number;
  rooms: number;
  subscribers: number;
  connected: number;
  frameLatencyP50Ms: number | null;
  frameLatencyP95Ms: number | null;
  lossPct: number | null;
  /** each SFU process (`sfu`, `sfu-w0`, ...): mean and max CPU, percent of a core */
  sfuCpuPct: Record<string, { mean: number; max: number }>;
  /** the runners' mean CPU, lowest and highest runner, percent of a core */
  runnerCpuPct: { min: number; max: number } | null;
  /**
   * which side was the limit when the step failed: `sfu` (a bottleneck named), `generator` (a runner or the
   * harness saturated), `machine` (only the machine's CPU over its line: the SFU and the runners share it), or null
   */
  limit: 'sfu' | 'generator' | 'machine' | null;
  /** the saturation judge's reasons, when there were any */
  saturationReasons?: string[];
  ok: boolean;
}

export interface SfuCapacityResult {
  hold: string;
  steps: SfuCapacityStep[];
  /** per workers value: the most subscribers of a step that passed (0: none) */
  maxSubscribers: Record<string, number>;
}

/** The options from BENCH_SFU_WORKERS, BENCH_SFU_STEPS and BENCH_SFU_HOLD. */
export function sfuCapacityOptionsFromEnv(log: (text: string) => void): SfuCapacityOptions {
  return {
    workers: list(process.env['BENCH_SFU_WORKERS'] ?? '1,2'),
    steps: list(process.env['BENCH_SFU_STEPS'] ?? '100,200,300,400,600,800,1000'),
    hold: process.env['BENCH_SFU_HOLD'] ?? '15s',
    log,
  };
}

function scenarioText(workers: number, rooms: number, perRoom: number, hold: string): string {
  return `name: bench-sfu-w${workers}-${rooms * perRoom}
duration: ${hold}
rooms: ${rooms}
runners: ${rooms}
connectTimeout: 60s
sfu: { workers: ${workers} }
peers:
  - { role: publisher, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, count: ${perRoom} }
thresholds:
  frame_latency_ms: ["p(95)<50"]
`;
}

function stepOf(workers: number, rooms: number, subscribers: number, s: RunSummary): SfuCapacityStep {
  const latency = s.metrics['frame_latency_ms'] as TrendSummary | undefined;
  const lost = (s.metrics['frames_lost'] as { count?: number } | undefined)?.count;
  const expected = s.accounting?.expected;
  const p95 = latency?.p95 ?? null;
  const connected = s.peers.connected - rooms;
  const sfuCpuPct: SfuCapacityStep['sfuCpuPct'] = {};
  const runners: ProcessUsage[] = [];
  for (const [name, usage] of Object.entries(s.processes)) {
    if (name === 'sfu' || name.startsWith('sfu-w')) sfuCpuPct[name] = { mean: usage.cpuPctMean, max: usage.cpuPctMax };
    else if (name.startsWith('runner-')) runners.push(usage);
  }
  const runnerMeans = runners.map((u) => u.cpuPctMean);
  const ok = s.status === 'passed' && !s.saturated && connected === subscribers && p95 !== null && p95 < 50;
  const sfuLimit = s.bottleneck !== undefined && s.bottleneck.process.startsWith('sfu');
  const reasons = s.saturation?.reasons ?? [];
  const generatorLimit = reasons.some((r) => r.process !== 'machine');
  return {
    workers,
    rooms,
    subscribers,
    connected,
    frameLatencyP50Ms: latency?.p50 ?? null,
    frameLatencyP95Ms: p95,
    lossPct:
      lost !== undefined && expected !== undefined && expected > 0 ? Math.round((lost / expected) * 1000) / 10 : null,
    sfuCpuPct,
    runnerCpuPct: runnerMeans.length > 0 ? { min: Math.min(...runnerMeans), max: Math.max(...runnerMeans) } : null,
    limit: ok ? null : generatorLimit ? 'generator' : sfuLimit ? 'sfu' : s.saturated ? 'machine' : null,
    ...(reasons.length > 0 ? { saturationReasons: reasons.map((r) => r.text) } : {}),
    ok,
  };
}

/** Runs the steps for each workers value, each stopping at its first step that fails. */
export async function benchSfuCapacity(options: SfuCapacityOptions): Promise<SfuCapacityResult> {
  const steps: SfuCapacityStep[] = [];
  const maxSubscribers: Record<string, number> = {};
  for (const workers of options.workers) {
    maxSubscribers[String(workers)] = 0;
    for (const total of options.steps) {
      const perRoom = Math.min(ROOM_SUBSCRIBERS, total);
      const rooms = Math.ceil(total / perRoom);
      const subscribers = rooms * perRoom;
      options.log(`(f) ${workers} SFU worker(s): ${rooms} room(s) x ${perRoom} subscribers, ${rooms} runner(s) ...`);
      const dir = await mkdtemp(join(tmpdir(), 'glassbench-bench-'));
      let summary: RunSummary;
      try {
        const scenario = scenarioFromText(scenarioText(workers, rooms, perRoom, options.hold));
        summary = (await runScenario({ scenario, runId: `bench-sfu-w${workers}-${subscribers}`, outDir: dir })).summary;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      const step = stepOf(workers, rooms, subscribers, summary);
      steps.push(step);
      options.log(`    ${row(step)}`);
      for (const reason of step.saturationReasons ?? []) options.log(`    saturated: ${reason}`);
      if (!step.ok) break;
      maxSubscribers[String(workers)] = subscribers;
    }
  }
  return { hold: options.hold, steps, maxSubscribers };
}

function row(s: SfuCapacityStep): string {
  const sfu = Object.entries(s.sfuCpuPct)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([name, c]) => `${name} ${f1(c.mean)} (max ${f1(c.max)})`)
    .join(', ');
  const runners = s.runnerCpuPct ? `${f1(s.runnerCpuPct.min)}-${f1(s.runnerCpuPct.max)}` : '-';
  return `| ${s.workers} | ${s.rooms} x ${s.subscribers / s.rooms} = ${s.subscribers} | ${s.connected} | ${f1(s.frameLatencyP50Ms)} / ${f1(s.frameLatencyP95Ms)} | ${f1(s.lossPct)} | ${sfu || '-'} | ${runners} | ${s.limit ?? '-'} | ${s.ok ? 'yes' : 'no'} |`;
}

/** The Markdown table of part (f), for docs/benchmarks.md. */
export function sfuCapacityTable(result: SfuCapacityResult): string[] {
  const most = Object.entries(result.maxSubscribers)
    .map(([workers, n]) => `${workers} worker(s): ${n}`)
    .join('; ');
  return [
    `Reference SFU capacity at frame_latency_ms p95 < 50 ms (hold ${result.hold}): ${most || 'not run'}`,
    '',
    '| SFU workers | rooms x subscribers | connected | frame_latency p50 / p95 ms | loss % | SFU CPU % of a core per process, mean (max) | runner CPU % (each, lowest-highest) | limit | meets p95<50 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...result.steps.map(row),
  ];
}
