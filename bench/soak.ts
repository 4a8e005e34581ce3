/**
 * `npm run soak` (not part of `npm test`): a long run of moderate load, to see whether memory grows. Two rooms,
 * each one synthetic publisher (640x360, 30 fps, 600 kbps) and three synthetic subscribers, with the cloud AI
 * hook inline (a synthetic 5 ms model). It warms up for SOAK_WARMUP_MINUTES (default 5; the scenario's `warmup`,
 * load as in the hold, not measured) and then measures for SOAK_MINUTES (default 30). Once a
 * minute from the start of the warm-up, and at the start and the end of the measured hold, it reads the resident
 * memory (VmRSS) of the reference SFU, the harness (this process) and the peer runners, and the JavaScript heap of
 * the SFU (its /metrics) and of the harness. At the end it writes bench/results/soak.json and prints, per process,
 * the growth over the measured minutes (from the start of the hold to its end) and from the start of the warm-up.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { nowMs } from '../src/metrics/clock.js';
import type { TrendSummary } from '../src/metrics/histogram.js';
import { childPidsRunning } from '../src/metrics/process-tree.js';
import { runScenario } from '../src/orchestrator/runner.js';
import { scenarioFromText } from '../src/scenario/validate.js';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? '30');
const WARMUP_MINUTES = Number(process.env['SOAK_WARMUP_MINUTES'] ?? '5');
const log = (text: string): void => void process.stderr.write(`${text}\n`);

function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** The SFU's JavaScript heap (prom-client's default metrics on its /metrics), in MB; null when it does not answer. */
async function sfuHeap(
  pid: number | undefined,
): Promise<{ heapTotalMb: number; heapUsedMb: number; externalMb: number } | null> {
  if (pid === undefined) return null;
  // its HTTP port: the loopback listener that belongs to its pid
  const ss = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8' }).stdout.split('\n');
  const port = ss.filter((line) => line.includes(`pid=${pid},`)).map((line) => /127\.0\.0\.1:(\d+)/.exec(line)?.[1])[0];
  if (port === undefined) return null;
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const read = (name: string): number => mb(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN));
    return {
      heapTotalMb: read('nodejs_heap_size_total_bytes'),
      heapUsedMb: read('nodejs_heap_size_used_bytes'),
      externalMb: read('nodejs_external_memory_bytes'),
    };
  } catch {
    return null;
  }
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

interface Sample {
  /** minutes since the start of the warm-up */
  minute: number;
  phase: 'warm-up' | 'hold start' | 'hold' | 'hold end';
  sfuMb: number | null;
  harnessMb: number | null;
  runnersMb: number | null;
  sfuHeap: { heapTotalMb: number; heapUsedMb: number; externalMb: number } | null;
  harnessHeap: { heapTotalMb: number; heapUsedMb: number; externalMb: number };
}

async function main(): Promise<void> {
  if (!(MINUTES > 0)) throw new Error(`SOAK_MINUTES must be a positive number, got ${process.env['SOAK_MINUTES']}`);
  if (!(WARMUP_MINUTES >= 0))
    throw new Error(`SOAK_WARMUP_MINUTES must be 0 or more, got ${process.env['SOAK_WARMUP_MINUTES']}`);
  const scenario = scenarioFromText(
    `name: soak
duration: ${MINUTES * 60}s
warmup: ${Math.max(5, WARMUP_MINUTES * 60)}s
rooms: 2
peers:
  - { role: publisher, kind: synthetic, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, kind: synthetic, count: 3 }
ai:
  placement: cloud
  mode: inline
  stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ]
  workers: 2
thresholds:
  frame_latency_ms: ["p(95)<400"]
`,
    'soak',
  );
  const dir = await mkdtemp(join(tmpdir(), 'glassbench-soak-'));
  const samples: Sample[] = [];
  const startedMs = nowMs();
  let warmupStartMs = 0;
  const take = async (phase: Sample['phase']): Promise<void> => {
    const sfu = childPidsRunning(process.pid, 'reference-server/main.js');
    const runners = childPidsRunning(process.pid, 'src/peers/runner-process.js');
    const runnerTotal = runners.map(rssMb).reduce<number | null>((sum, v) => (v === null ? sum : (sum ?? 0) + v), null);
    const own = process.memoryUsage();
    const row: Sample = {
      minute: Math.round((nowMs() - warmupStartMs) / 6_000) / 10,
      phase,
      sfuMb: sfu[0] !== undefined ? rssMb(sfu[0]) : null,
      harnessMb: rssMb(process.pid),
      runnersMb: runnerTotal,
      sfuHeap: await sfuHeap(sfu[0]),
      harnessHeap: { heapTotalMb: mb(own.heapTotal), heapUsedMb: mb(own.heapUsed), externalMb: mb(own.external) },
    };
    samples.push(row);
    const heap = (h: Sample['sfuHeap']): string =>
      h ? ` (heap ${h.heapUsedMb} of ${h.heapTotalMb} MB, external ${h.externalMb} MB)` : '';
    log(
      `soak: ${phase}, minute ${row.minute}: SFU ${row.sfuMb} MB${heap(row.sfuHeap)}, harness ${row.harnessMb} MB${heap(row.harnessHeap)}, peer runners ${row.runnersMb} MB`,
    );
  };
  const pending: Promise<void>[] = [];
  const sample = (phase: Sample['phase']): void => void pending.push(take(phase));
  let timer: NodeJS.Timeout | undefined;
  let holding = false;
  const result = await runScenario({
    scenario,
    runId: 'soak',
    outDir: dir,
    onEvent: (event) => {
      if (event.type === 'phase' && event.phase === 'warming-up') {
        warmupStartMs = nowMs();
        sample('warm-up');
        timer = setInterval(() => sample(holding ? 'hold' : 'warm-up'), 60_000);
      } else if (event.type === 'phase' && event.phase === 'running') {
        holding = true;
        sample('hold start');
      } else if (event.type === 'phase' && event.phase === 'draining') {
        clearInterval(timer);
        sample('hold end');
      } else if (event.type === 'warning' || event.type === 'peer-failed') log(`soak: ${JSON.stringify(event)}`);
    },
  });
  clearInterval(timer);
  await Promise.all(pending);
  samples.sort((x, y) => x.minute - y.minute);
  const s = result.summary;
  const pct = (from: number | null | undefined, to: number | null | undefined): number | null =>
    from && to ? Math.round(((to - from) / from) * 1000) / 10 : null;
  const growth = (key: 'sfuMb' | 'harnessMb' | 'runnersMb'): Record<string, number | null> => {
    const warm = samples[0]?.[key];
    const start = samples.find((x) => x.phase === 'hold start')?.[key];
    const end = samples.find((x) => x.phase === 'hold end')?.[key];
    return {
      warmupStartMb: warm ?? null,
      holdStartMb: start ?? null,
      holdEndMb: end ?? null,
      growthPct: pct(start, end),
      growthFromWarmupPct: pct(warm, end),
    };
  };
  const latency = s.metrics['frame_latency_ms'] as TrendSummary | undefined;
  const report = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version },
    warmupMinutes: WARMUP_MINUTES,
    minutes: MINUTES,
    status: s.status,
    wallMinutes: Math.round((nowMs() - startedMs) / 600) / 100,
    framesReceived: (s.metrics['frames_received'] as { count?: number } | undefined)?.count ?? 0,
    framesLost: (s.metrics['frames_lost'] as { count?: number } | undefined)?.count ?? 0,
    frameLatencyP95Ms: latency?.p95 ?? null,
    // growthPct: over the measured hold (SOAK_MINUTES); growthFromWarmupPct: from the first sample of the warm-up
    growth: { sfu: growth('sfuMb'), harness: growth('harnessMb'), runners: growth('runnersMb') },
    samples,
  };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/soak.json', `${JSON.stringify(report, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(
    `soak: ${WARMUP_MINUTES} min warm-up, ${MINUTES} min measured, ${report.framesReceived} frames received, ${report.framesLost} lost, frame_latency_ms p95 ${latency?.p95?.toFixed(1) ?? '-'} ms, status ${s.status}\n`,
  );
  for (const [name, g] of Object.entries(report.growth)) {
    process.stdout.write(
      `  ${name}: ${g['holdStartMb']} MB at the start of the hold, ${g['holdEndMb']} MB at its end: ${g['growthPct']}% over the ${MINUTES} measured minutes (${g['growthFromWarmupPct']}% from ${g['warmupStartMb']} MB at the start of the warm-up)\n`,
    );
  }
  process.stdout.write('written: bench/results/soak.json\n');
  process.exitCode = s.status === 'passed' ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
