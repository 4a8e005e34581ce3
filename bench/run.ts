/**
 * `npm run bench`: capacity and speed numbers, measured (never asserted in tests).
 *  (a) the most synthetic subscribers one peer-runner process (one core) sustains at 640x360, 30 fps,
 *      600 kbps with frame_latency_ms p95 < 50 ms and the run not saturated;
 *      (and that count per core of the runner: subscribers / the runner's mean CPU share);
 *  (b) the reference SFU's forwarding (fan-out) time per incoming packet at 1, 10 and 100 subscribers, and per
 *      subscriber-packet (that time divided by the subscribers);
 *  (c) browser subscriber pages in one Chromium with a browser publisher page (640x360, 30 fps): Chromium's CPU
 *      per added page (least-squares slope over 1, 2, 4, 8, 12 pages, each repeated) and the fixed cost, with the
 *      page time to read a frame's marker (bench/browser-pages.ts; BENCH_BROWSER_STEPS, _REPEATS, _HOLD, and
 *      _QUALITY=N to score every Nth frame's picture quality instead of every frame);
 *  (d) the AI hook: its overhead (inline with a 0 ms model against no hook), the worker pool's throughput in
 *      frames/s (in process and through the external worker's socket), and the real video path's stage times
 *      (VP8 decode -> blur -> VP8 encode) at 640x360, 30 fps;
 *  (e) what the harness's own measuring costs: the CPU of 1 publisher + 50 subscribers on this build against a
 *      baseline build (bench/measuring-cost.ts; BENCH_BASELINE_REF, BENCH_COST_ROUNDS);
 *  (f) total synthetic subscribers the reference SFU serves at p95 < 50 ms with 1 and 2 workers, SFU and runner
 *      CPU per step (bench/sfu-capacity.ts; BENCH_SFU_WORKERS, BENCH_SFU_STEPS, BENCH_SFU_HOLD);
 *  (g) decoded pictures to an external worker against the frame's VP8: the socket time per 640x360 frame
 *      (bench/external-worker.ts; BENCH_TORCH_SOCKET adds a worker of one's own).
 * Results go to bench/results/latest.json and a Markdown table on stdout (for docs/benchmarks.md).
 * BENCH_PARTS=a,b,c,d,e,f,g picks parts; BENCH_HOLD and BENCH_STEPS tune part (a).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import { DeviceBackend, ExternalBackend } from '../reference-server/ai/backends.js';
import type { BufferedFrame } from '../reference-server/ai/frame-buffer.js';
import { AiPipeline, type StageBackend } from '../reference-server/ai/pipeline.js';
import { DeviceScheduler } from '../reference-server/ai/scheduler.js';
import { nowMs } from '../src/metrics/clock.js';
import type { TrendSummary } from '../src/metrics/histogram.js';
import { runScenario } from '../src/orchestrator/runner.js';
import type { AiOptions } from '../src/protocol/ai.js';
import type { RunSummary } from '../src/report/summary.js';
import { scenarioFromText } from '../src/scenario/validate.js';
import { benchBrowserPages, browserPagesTable } from './browser-pages.js';
import { benchExternalI420, externalI420Table } from './external-worker.js';
import { f1 } from './format.js';
import { benchMeasuringCost } from './measuring-cost.js';
import {
  benchCapacity,
  benchForwarding,
  capacityTable,
  forwardingTable,
  subscribersPerCore,
} from './runner-capacity.js';
import { benchSfuCapacity, sfuCapacityOptionsFromEnv, sfuCapacityTable } from './sfu-capacity.js';

const HOLD = process.env['BENCH_HOLD'] ?? '20s';
const STEPS = (process.env['BENCH_STEPS'] ?? '10,25,50,75,100,150,200,250,300').split(',').map(Number);
const log = (text: string): void => void process.stderr.write(`${text}\n`);

const PARTS = new Set((process.env['BENCH_PARTS'] ?? 'a,b,c,d,e,f,g').split(','));
/** the commit before the load-validity measuring (event-loop delay, machine CPU, accounting, wire stamps) */
const BASELINE_REF = process.env['BENCH_BASELINE_REF'] ?? '58e9653';
const BROWSER_STEPS = (process.env['BENCH_BROWSER_STEPS'] ?? '1,2,4,8,12').split(',').map(Number);

async function main(): Promise<void> {
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  log(
    `glassbench bench on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}; hold ${HOLD} per step`,
  );

  const capacity = PARTS.has('a') ? await benchCapacity(STEPS, HOLD, log) : [];
  const best = [...capacity].reverse().find((c) => c.ok) ?? null;
  const perCore = subscribersPerCore(best);

  const forwarding = PARTS.has('b') ? await benchForwarding(log) : [];

  const browserPages = PARTS.has('c')
    ? await benchBrowserPages({
        steps: BROWSER_STEPS,
        repeats: Number(process.env['BENCH_BROWSER_REPEATS'] ?? 2),
        hold: process.env['BENCH_BROWSER_HOLD'] ?? '15s',
        ...(process.env['BENCH_BROWSER_QUALITY'] ? { qualityEvery: Number(process.env['BENCH_BROWSER_QUALITY']) } : {}),
        log,
      })
    : undefined;

  const ai = PARTS.has('d') ? await benchAi() : undefined;
  const measuringCost = PARTS.has('e')
    ? await benchMeasuringCost({
        baselineRef: BASELINE_REF,
        subscribers: 50,
        rounds: Number(process.env['BENCH_COST_ROUNDS'] ?? 3),
        hold: '20s',
      })
    : undefined;
  const sfuCapacity = PARTS.has('f') ? await benchSfuCapacity(sfuCapacityOptionsFromEnv(log)) : undefined;
  const externalI420 = PARTS.has('g') ? await benchExternalI420(runScenarioText, log) : undefined;

  const results = {
    date: new Date().toISOString(),
    machine,
    hold: HOLD,
    capacity,
    maxSubscribersOneRunner: best?.subscribers ?? 0,
    subscribersPerRunnerCore: perCore,
    bestStep: best,
    forwarding,
    browserPages,
    ai,
    measuringCost,
    sfuCapacity,
    externalI420,
  };
  const previous = await readFile('bench/results/latest.json', 'utf8')
    .then((t) => JSON.parse(t) as Record<string, unknown>)
    .catch((): Record<string, unknown> => ({}));
  // a partial run (BENCH_PARTS) keeps the other parts' last results
  const merged = {
    ...previous,
    ...results,
    ...(PARTS.has('a')
      ? {}
      : {
          capacity: previous['capacity'],
          maxSubscribersOneRunner: previous['maxSubscribersOneRunner'],
          subscribersPerRunnerCore: previous['subscribersPerRunnerCore'],
          bestStep: previous['bestStep'],
        }),
    ...(PARTS.has('b') ? {} : { forwarding: previous['forwarding'] }),
    ...(PARTS.has('c')
      ? {}
      : {
          browserPages: previous['browserPages'],
        }),
    ...(PARTS.has('d') ? {} : { ai: previous['ai'] }),
    ...(PARTS.has('e') ? {} : { measuringCost: previous['measuringCost'] }),
    ...(PARTS.has('f') ? {} : { sfuCapacity: previous['sfuCapacity'] }),
    ...(PARTS.has('g') ? {} : { externalI420: previous['externalI420'] }),
  };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/latest.json', `${JSON.stringify(merged, null, 2)}\n`);

  const lines = [
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node} (${results.date.slice(0, 10)})`,
    '',
    ...capacityTable(capacity, best),
    '',
    ...forwardingTable(forwarding),
    '',
  ];
  if (ai) {
    const o = ai.overhead;
    lines.push(
      '',
      '| AI hook overhead (1 publisher, 4 subscribers) | sfu_ms p50 / p99 | frame_latency_ms p50 / p99 |',
      '|---|---|---|',
      `| no hook | ${f1(o.none.sfuP50)} / ${f1(o.none.sfuP99)} | ${f1(o.none.frameP50)} / ${f1(o.none.frameP99)} |`,
      `| inline, 0 ms model | ${f1(o.hook.sfuP50)} / ${f1(o.hook.sfuP99)} | ${f1(o.hook.frameP50)} / ${f1(o.hook.frameP99)} |`,
      '',
      '| worker pool (0 ms model, queue policy block) | workers | frames/s |',
      '|---|---|---|',
      ...ai.throughput.map((t) => `| ${t.backend} | ${t.workers} | ${Math.round(t.framesPerSecond)} |`),
      '',
      '| real video path, 640x360 30 fps | p50 ms | p95 ms |',
      '|---|---|---|',
      ...Object.entries(ai.video.stages).map(([name, t]) => `| ${name} | ${f1(t.p50)} | ${f1(t.p95)} |`),
      `| frames dropped by the queue policy | ${ai.video.framesDropped} of ${ai.video.framesSent} | SFU CPU ${f1(ai.video.sfuCpuPctMean)}% |`,
    );
  }
  if (measuringCost) {
    const c = measuringCost;
    const row = (kind: string): string =>
      `| ${kind} | ${c.baseline[kind]?.join(', ') ?? '-'} | ${c.current[kind]?.join(', ') ?? '-'} | ${c.deltaPct[kind] ?? '-'} |`;
    lines.push(
      '',
      `| measuring cost, 1 publisher + ${c.subscribers} subscribers (${c.rounds} rounds of ${c.hold}) | CPU % baseline ${c.baselineRef} | CPU % this build | difference |`,
      '|---|---|---|---|',
      row('harness'),
      row('runner'),
      row('sfu'),
      `| all three | | | ${c.totalDeltaPct} |`,
    );
  }
  if (browserPages) lines.push('', ...browserPagesTable(browserPages));
  if (sfuCapacity) lines.push('', ...sfuCapacityTable(sfuCapacity));
  if (externalI420) lines.push('', ...externalI420Table(externalI420));
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function runScenarioText(text: string): Promise<RunSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'glassbench-bench-'));
  try {
    return (await runScenario({ scenario: scenarioFromText(text), runId: 'bench-ai', outDir: dir })).summary;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Frames/s a pipeline of `workers` passes with a 0 ms model: the pool's own cost per frame. */
async function poolThroughput(backend: StageBackend, workers: number, frames: number): Promise<number> {
  const options: AiOptions = {
    placement: 'cloud',
    mode: 'inline',
    stages: [{ name: 'inference', model: { synthetic: { fixedMs: 0 } } }],
    workers,
    queue: { max: frames, policy: 'block' },
    devices: [{ name: 'sim0', speed: 1, concurrency: workers }],
    backend: { type: 'in-process' },
    budgetMs: 30,
  };
  let done = 0;
  const start = nowMs();
  await new Promise<void>((resolve) => {
    const pipeline = new AiPipeline({
      ai: options,
      backend,
      publisher: 'bench',
      onOutput: () => undefined,
      onRecord: () => {
        done += 1;
        if (done === frames) resolve();
      },
    });
    for (let i = 0; i < frames; i += 1) {
      const frame: BufferedFrame = {
        timestamp: i,
        key: `1:${i}`,
        packets: [],
        keyframe: false,
        firstPacketMs: start,
        readyMs: nowMs(),
      };
      pipeline.submit(frame);
    }
  });
  return frames / ((nowMs() - start) / 1000);
}

async function benchAi(): Promise<{
  overhead: { none: Record<string, number | null>; hook: Record<string, number | null> };
  throughput: { backend: string; workers: number; framesPerSecond: number }[];
  video: {
    stages: Record<string, { p50: number | null; p95: number | null }>;
    framesDropped: number;
    framesSent: number;
    sfuCpuPctMean: number | null;
  };
}> {
  const base = (ai: string): string => `name: bench-ai
duration: 15s
warmup: 2s
peers:
  - { role: publisher, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, count: 4 }
${ai}
`;
  const pick = (s: RunSummary): Record<string, number | null> => {
    const sfu = s.metrics['sfu_ms'] as TrendSummary | undefined;
    const frame = s.metrics['frame_latency_ms'] as TrendSummary | undefined;
    return {
      sfuP50: sfu?.p50 ?? null,
      sfuP99: sfu?.p99 ?? null,
      frameP50: frame?.p50 ?? null,
      frameP99: frame?.p99 ?? null,
    };
  };
  log('(d) AI hook overhead: no hook, then inline with a 0 ms model ...');
  const none = pick(await runScenarioText(base('ai: { placement: none }')));
  const hook = pick(
    await runScenarioText(
      base('ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 0 } } } ] }'),
    ),
  );
  log(
    `    sfu_ms p50 ${f1(none['sfuP50'] ?? null)} -> ${f1(hook['sfuP50'] ?? null)} ms, p99 ${f1(none['sfuP99'] ?? null)} -> ${f1(hook['sfuP99'] ?? null)} ms`,
  );

  const throughput: { backend: string; workers: number; framesPerSecond: number }[] = [];
  for (const workers of [1, 4, 16]) {
    log(`(d) worker pool throughput, in process, ${workers} worker(s) ...`);
    const fps = await poolThroughput(
      new DeviceBackend(new DeviceScheduler([{ name: 'sim0', speed: 1, concurrency: workers }])),
      workers,
      20_000,
    );
    throughput.push({ backend: 'in process', workers, framesPerSecond: fps });
  }
  for (const workers of [1, 16]) {
    log(`(d) worker pool throughput, external worker over the socket, ${workers} worker(s) ...`);
    const external = new ExternalBackend(undefined, (m) => log(`    ${m}`));
    await external.start();
    try {
      throughput.push({
        backend: 'external worker',
        workers,
        framesPerSecond: await poolThroughput(external, workers, 5_000),
      });
    } finally {
      await external.close();
    }
  }

  log('(d) real video path at 640x360, 30 fps (encoded synthetic publisher, decode -> blur -> encode) ...');
  const video = await runScenarioText(`name: bench-ai-video
duration: 15s
warmup: 2s
peers:
  - { role: publisher, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 1000, source: encoded } }
  - { role: subscriber, count: 1 }
ai:
  placement: cloud
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: blur } }
    - { name: encode, model: { vp8: { bitrateKbps: 1000 } } }
`);
  const stages: Record<string, { p50: number | null; p95: number | null }> = {};
  for (const name of ['ai_queue_ms', 'ai_decode_ms', 'ai_inference_ms', 'ai_encode_ms', 'ai_hook_ms']) {
    const t = video.metrics[name] as TrendSummary | undefined;
    stages[name] = { p50: t?.p50 ?? null, p95: t?.p95 ?? null };
  }
  const counter = (name: string): number => (video.metrics[name] as { count: number } | undefined)?.count ?? 0;
  return {
    overhead: { none, hook },
    throughput,
    video: {
      stages,
      framesDropped: counter('frames_dropped_ai'),
      framesSent: counter('frames_sent'),
      sfuCpuPctMean: video.processes['sfu']?.cpuPctMean ?? null,
    },
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
