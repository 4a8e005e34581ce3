/**
 * `npm run bench`: capacity and speed numbers, measured (never asserted in tests).
 *  (a) the most synthetic subscribers one peer-runner process (one core) sustains at 640x360, 30 fps,
 *      600 kbps with frame_latency_ms p95 < 50 ms and the run not saturated;
 *  (b) the reference SFU's forwarding (fan-out) time per incoming packet at 1, 10 and 100 subscribers.
 * Results go to bench/results/latest.json and a Markdown table on stdout (for the README).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrendSummary } from '../src/metrics/histogram.js';
import { runScenario } from '../src/orchestrator/runner.js';
import type { RunSummary } from '../src/report/summary.js';
import { scenarioFromText } from '../src/scenario/validate.js';

const HOLD = process.env['BENCH_HOLD'] ?? '20s';
const STEPS = (process.env['BENCH_STEPS'] ?? '10,25,50,75,100,150,200,250,300').split(',').map(Number);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

async function runOnce(subscribers: number, hold: string): Promise<RunSummary> {
  const scenario = scenarioFromText(`name: bench-${subscribers}
duration: ${hold}
runners: 1
connectTimeout: 60s
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

interface CapacityStep {
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

async function main(): Promise<void> {
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` };
  log(`glassbench bench on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}; hold ${HOLD} per step`);

  const capacity: CapacityStep[] = [];
  for (const n of STEPS) {
    log(`(a) ${n} subscribers in one peer runner ...`);
    const result = step(n, await runOnce(n, HOLD));
    capacity.push(result);
    log(`    p95 ${result.frameLatencyP95Ms?.toFixed(1)} ms, runner CPU ${result.runnerCpuPctMean}%, SFU CPU ${result.sfuCpuPctMean}%, saturated ${result.saturated} -> ${result.ok ? 'ok' : 'over'}`);
    if (!result.ok) break;
  }
  const best = [...capacity].reverse().find((c) => c.ok) ?? null;

  const forwarding: { subscribers: number; packets: number; p50Us: number; p90Us: number; p99Us: number; maxUs: number }[] = [];
  for (const n of [1, 10, 100]) {
    log(`(b) forwarding time with ${n} subscriber(s) ...`);
    const forward = (await runOnce(n, '10s')).sfu?.forwardMs;
    if (!forward) throw new Error('the SFU reported no forwarding times');
    const us = (ms: number): number => Math.round(ms * 1000);
    forwarding.push({ subscribers: n, packets: forward.count, p50Us: us(forward.p50), p90Us: us(forward.p90), p99Us: us(forward.p99), maxUs: us(forward.max) });
  }

  const results = { date: new Date().toISOString(), machine, hold: HOLD, capacity, maxSubscribersOneRunner: best?.subscribers ?? 0, bestStep: best, forwarding };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`);

  const lines = [
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node} (${results.date.slice(0, 10)})`,
    '',
    '| subscribers (one runner) | frame_latency p50 / p95 ms | runner CPU % | SFU CPU % | saturated | meets p95<50 |',
    '|---|---|---|---|---|---|',
    ...capacity.map((c) => `| ${c.subscribers} | ${c.frameLatencyP50Ms?.toFixed(1)} / ${c.frameLatencyP95Ms?.toFixed(1)} | ${c.runnerCpuPctMean} | ${c.sfuCpuPctMean} | ${c.saturated ? 'yes' : 'no'} | ${c.ok ? 'yes' : 'no'} |`),
    '',
    '| subscribers | packets | forward p50 µs | p90 µs | p99 µs | max µs |',
    '|---|---|---|---|---|---|',
    ...forwarding.map((f) => `| ${f.subscribers} | ${f.packets} | ${f.p50Us} | ${f.p90Us} | ${f.p99Us} | ${f.maxUs} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
