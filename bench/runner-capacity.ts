/**
 * Parts (a) and (b) of `npm run bench` (bench/run.ts): synthetic subscribers one peer runner sustains (and per
 * core of it), and the reference SFU's fan-out time per incoming packet and per subscriber-packet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TrendSummary } from '../src/metrics/histogram.js';
import { runScenario } from '../src/orchestrator/runner.js';
import type { RunSummary } from '../src/report/summary.js';
import { scenarioFromText } from '../src/scenario/validate.js';

/**
 * One run of 1 synthetic publisher (640x360, 30 fps, 600 kbps) and `subscribers` in one runner, on a one-process
 * reference SFU (the SFU's CPU is then one process's; part (f) measures workers).
 */
export async function runOnce(subscribers: number, hold: string): Promise<RunSummary> {
  const scenario = scenarioFromText(`name: bench-synthetic-${subscribers}
duration: ${hold}
runners: 1
connectTimeout: 60s
sfu: { workers: 1 }
peers:
  - { role: publisher, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, count: ${subscribers} }
thresholds:
  frame_latency_ms: ["p(95)<50"]
`);
  const dir = await mkdtemp(join(tmpdir(), 'glassbench-bench-'));
  try {
    const { summary } = await runScenario({ scenario, runId: `bench-${subscribers}`, outDir: dir });
    return summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface CapacityStep {
  subscribers: number;
  connected: number;
  frameLatencyP50Ms: number | null;
  frameLatencyP95Ms: number | null;
  framesLost: number;
  runnerCpuPctMean: number | null;
  sfuCpuPctMean: number | null;
  saturated: boolean;
  ok: boolean;
}

function step(subscribers: number, s: RunSummary): CapacityStep {
  const latency = s.metrics['frame_latency_ms'] as TrendSummary | undefined;
  const p95 = latency?.p95 ?? null;
  const connected = s.peers.connected - 1;
  return {
    subscribers,
    connected,
    frameLatencyP50Ms: latency?.p50 ?? null,
    frameLatencyP95Ms: p95,
    framesLost: (s.metrics['frames_lost'] as { count: number } | undefined)?.count ?? 0,
    runnerCpuPctMean: s.processes['runner-1']?.cpuPctMean ?? null,
    sfuCpuPctMean: s.processes['sfu']?.cpuPctMean ?? null,
    saturated: s.saturated,
    ok: s.status === 'passed' && !s.saturated && connected === subscribers && p95 !== null && p95 < 50,
  };
}

/**
 * Part (a)'s headline: the subscribers of a step divided by the runner's CPU share (its mean % of one core over
 * the run), e.g. 75 subscribers at 45% of a core = 167 per core; null without a CPU sample.
 */
export function subscribersPerCore(c: CapacityStep | null): number | null {
  if (!c?.runnerCpuPctMean) return null;
  return Math.round(c.subscribers / (c.runnerCpuPctMean / 100));
}

/** (a): steps of subscribers, `hold` each, until one fails. */
export async function benchCapacity(
  steps: number[],
  hold: string,
  log: (text: string) => void,
): Promise<CapacityStep[]> {
  const capacity: CapacityStep[] = [];
  for (const n of steps) {
    log(`(a) ${n} subscribers in one peer runner ...`);
    const result = step(n, await runOnce(n, hold));
    capacity.push(result);
    log(
      `    p95 ${result.frameLatencyP95Ms?.toFixed(1)} ms, runner CPU ${result.runnerCpuPctMean}% (${subscribersPerCore(result) ?? '-'} per core), SFU CPU ${result.sfuCpuPctMean}%, saturated ${result.saturated} -> ${result.ok ? 'ok' : 'over'}`,
    );
    if (!result.ok) break;
  }
  return capacity;
}

export interface ForwardStep {
  subscribers: number;
  packets: number;
  /** fan-out time per incoming packet divided by the subscribers it went to: µs per subscriber-packet */
  meanUsPerSubscriber: number;
  p50UsPerSubscriber: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

/** (b): the SFU's fan-out times (its /healthz forwardMs) over 10 s at 1, 10 and 100 subscribers. */
export async function benchForwarding(log: (text: string) => void): Promise<ForwardStep[]> {
  const forwarding: ForwardStep[] = [];
  for (const n of [1, 10, 100]) {
    log(`(b) forwarding time with ${n} subscriber(s) ...`);
    const forward = (await runOnce(n, '10s')).sfu?.forwardMs;
    if (!forward) throw new Error('bench (b): the SFU reported no forwarding times');
    const us = (ms: number): number => Math.round(ms * 1000);
    const perSubscriber = (ms: number): number => Math.round((ms * 1000 * 10) / n) / 10;
    forwarding.push({
      subscribers: n,
      packets: forward.count,
      meanUsPerSubscriber: perSubscriber(forward.mean),
      p50UsPerSubscriber: perSubscriber(forward.p50),
      p50Us: us(forward.p50),
      p90Us: us(forward.p90),
      p99Us: us(forward.p99),
      maxUs: us(forward.max),
    });
    log(`    mean ${perSubscriber(forward.mean)} µs per subscriber-packet`);
  }
  return forwarding;
}

export function capacityTable(capacity: CapacityStep[], best: CapacityStep | null): string[] {
  if (capacity.length === 0) return []; // part (a) not run
  return [
    '| subscribers (one runner) | frame_latency p50 / p95 ms | runner CPU % | subscribers per core | SFU CPU % | saturated | meets p95<50 |',
    '|---|---|---|---|---|---|---|',
    ...capacity.map(
      (c) =>
        `| ${c.subscribers} | ${c.frameLatencyP50Ms?.toFixed(1)} / ${c.frameLatencyP95Ms?.toFixed(1)} | ${c.runnerCpuPctMean} | ${subscribersPerCore(c) ?? '-'} | ${c.sfuCpuPctMean} | ${c.saturated ? 'yes' : 'no'} | ${c.ok ? 'yes' : 'no'} |`,
    ),
    '',
    `Subscribers per runner per core at p95 < 50 ms: ${subscribersPerCore(best) ?? '-'} (${best ? `${best.subscribers} subscribers at ${best.runnerCpuPctMean}% of a core` : 'no step passed'}; target 200)`,
  ];
}

export function forwardingTable(forwarding: ForwardStep[]): string[] {
  if (forwarding.length === 0) return []; // part (b) not run
  return [
    '| subscribers | packets | forward p50 µs | p90 µs | p99 µs | max µs | µs per subscriber-packet, mean / p50 |',
    '|---|---|---|---|---|---|---|',
    ...forwarding.map(
      (f) =>
        `| ${f.subscribers} | ${f.packets} | ${f.p50Us} | ${f.p90Us} | ${f.p99Us} | ${f.maxUs} | ${f.meanUsPerSubscriber} / ${f.p50UsPerSubscriber} |`,
    ),
    '',
  ];
}
