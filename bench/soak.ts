/**
 * `npm run soak` (not part of `npm test`): a long run of moderate load, to see whether memory grows. Two rooms,
 * each one synthetic publisher (640x360, 30 fps, 600 kbps) and three synthetic subscribers, with the cloud AI
 * hook inline (a synthetic 5 ms model), for SOAK_MINUTES (default 30). Once a minute it reads the resident
 * memory (VmRSS) of the reference SFU, the harness (this process) and the peer runners; at the end it writes
 * bench/results/soak.json and prints, per process, the growth over the whole hold and after its first 5 minutes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nowMs } from '../src/metrics/clock.js';
import type { TrendSummary } from '../src/metrics/histogram.js';
import { runScenario } from '../src/orchestrator/runner.js';
import { scenarioFromText } from '../src/scenario/validate.js';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? '30');
const log = (text: string): void => void process.stderr.write(`${text}\n`);

function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** This run's children: the SFU and the peer runners (found by their entry scripts, parent = us). */
function children(): { sfu: number[]; runners: number[] } {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout.split('\n');
  const out = { sfu: [] as number[], runners: [] as number[] };
  for (const line of ps) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (ppid !== process.pid || pid === undefined) continue;
    if (line.includes('reference-server/main.js')) out.sfu.push(pid);
    if (line.includes('src/peers/runner-process.js')) out.runners.push(pid);
  }
  return out;
}

interface Sample {
  minute: number;
  sfuMb: number | null;
  harnessMb: number | null;
  runnersMb: number | null;
}

async function main(): Promise<void> {
  if (!(MINUTES > 0)) throw new Error(`SOAK_MINUTES must be a positive number, got ${process.env['SOAK_MINUTES']}`);
  const scenario = scenarioFromText(`name: soak
duration: ${MINUTES}m
warmup: 5s
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
`, 'soak');
  const dir = await mkdtemp(join(tmpdir(), 'glassbench-soak-'));
  const samples: Sample[] = [];
  const startedMs = nowMs();
  let holdStartMs = 0;
  const take = (): void => {
    const { sfu, runners } = children();
    const runnerTotal = runners.map(rssMb).reduce<number | null>((sum, v) => (v === null ? sum : (sum ?? 0) + v), null);
    const sample: Sample = { minute: Math.round((nowMs() - holdStartMs) / 60_000), sfuMb: sfu[0] !== undefined ? rssMb(sfu[0]) : null, harnessMb: rssMb(process.pid), runnersMb: runnerTotal };
    samples.push(sample);
    log(`soak: minute ${sample.minute}: SFU ${sample.sfuMb} MB, harness ${sample.harnessMb} MB, peer runners ${sample.runnersMb} MB`);
  };
  let timer: NodeJS.Timeout | undefined;
  const result = await runScenario({
    scenario,
    runId: 'soak',
    outDir: dir,
    onEvent: (event) => {
      if (event.type === 'phase' && event.phase === 'running') {
        holdStartMs = nowMs();
        take();
        timer = setInterval(take, 60_000);
      } else if (event.type === 'phase' && event.phase === 'draining') {
        take();
        clearInterval(timer);
      } else if (event.type === 'warning' || event.type === 'peer-failed') log(`soak: ${JSON.stringify(event)}`);
    },
  });
  clearInterval(timer);
  const s = result.summary;
  const growth = (key: 'sfuMb' | 'harnessMb' | 'runnersMb'): Record<string, number | null> => {
    // over the whole hold (from its first sample), and after 5 minutes (histograms, heaps and buffers sized)
    const pct = (from: number | null | undefined, to: number | null | undefined): number | null => (from && to ? Math.round(((to - from) / from) * 1000) / 10 : null);
    const start = samples[0]?.[key];
    const steady = samples.find((x) => x.minute >= 5)?.[key];
    const last = samples.at(-1)?.[key];
    return { startMb: start ?? null, at5MinMb: steady ?? null, lastMb: last ?? null, growthPct: pct(start, last), growthAfter5MinPct: pct(steady, last) };
  };
  const latency = s.metrics['frame_latency_ms'] as TrendSummary | undefined;
  const report = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version },
    minutes: MINUTES,
    status: s.status,
    wallMinutes: Math.round((nowMs() - startedMs) / 600) / 100,
    framesReceived: (s.metrics['frames_received'] as { count?: number } | undefined)?.count ?? 0,
    framesLost: (s.metrics['frames_lost'] as { count?: number } | undefined)?.count ?? 0,
    frameLatencyP95Ms: latency?.p95 ?? null,
    growth: { sfu: growth('sfuMb'), harness: growth('harnessMb'), runners: growth('runnersMb') },
    samples,
  };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/soak.json', `${JSON.stringify(report, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`soak: ${MINUTES} min, ${report.framesReceived} frames received, ${report.framesLost} lost, frame_latency_ms p95 ${latency?.p95?.toFixed(1) ?? '-'} ms, status ${s.status}\n`);
  for (const [name, g] of Object.entries(report.growth)) process.stdout.write(`  ${name}: ${g['startMb']} MB at the start of the hold, ${g['at5MinMb']} MB after 5 min, ${g['lastMb']} MB at the end: ${g['growthPct']}% over the hold, ${g['growthAfter5MinPct']}% after 5 min\n`);
  process.stdout.write('written: bench/results/soak.json\n');
  process.exitCode = s.status === 'passed' ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
