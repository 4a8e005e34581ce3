/**
 * Part (g) of `npm run bench`: what handing decoded pictures to an external worker costs (`format: i420`)
 * against handing it the frame's VP8 (`format: vp8`), per 640x360 frame, the model excluded: the socket round
 * trip less the worker's compute and batch wait, which is what the SFU records as `ai_transfer_ms`. Calls go one
 * at a time (one track), through the SFU's own ExternalBackend, to the reference worker it starts (a 0 ms model,
 * the picture returned as it came) and, where a worker socket is given (BENCH_TORCH_SOCKET, e.g.
 * examples/workers/torch_worker.py), to that one too. Then a whole run of the real video path through the
 * reference worker at 640x360, 30 fps: every stage's time.
 */
import type { RtpPacket } from 'werift';

import { ExternalBackend } from '../reference-server/ai/backends.js';
import type { BufferedFrame } from '../reference-server/ai/frame-buffer.js';
import type { Picture } from '../reference-server/ai/pipeline.js';
import { nowMs } from '../src/metrics/clock.js';
import { Trend, type TrendSummary } from '../src/metrics/histogram.js';
import type { AiStageSpec } from '../src/protocol/ai.js';
import { i420Bytes } from '../src/protocol/worker-protocol.js';
import type { RunSummary } from '../src/report/summary.js';

const WIDTH = 640;
const HEIGHT = 360;
/** a delta frame's VP8 at 640x360, 30 fps, 600 kbps: about 2.5 kB in two RTP packets */
const VP8_BYTES = [1200, 1300];

interface Transfer {
  bytes: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface ExternalI420Result {
  calls: number;
  /** the reference worker: the frame's VP8, and the decoded picture */
  vp8: Transfer;
  i420: Transfer;
  /** i420 less vp8, p50: the target is at most 2 ms */
  addedP50Ms: number | null;
  /** another worker at a socket (BENCH_TORCH_SOCKET), decoded pictures */
  other?: Transfer & { socket: string };
  /** full copies of the picture the SFU makes per frame in user space, both ways (docs/reference-server.md) */
  sfuCopiesPerFrame: number;
  run: {
    stages: Record<string, { p50: number | null; p95: number | null }>;
    framesSent: number;
    framesDropped: number;
  };
}

function frameOf(i: number, bytes: number[]): BufferedFrame {
  const packets = bytes.map((n) => ({ payload: Buffer.alloc(n, i & 0xff) }) as unknown as RtpPacket);
  return { timestamp: i, key: `1:${i}`, packets, keyframe: false, firstPacketMs: nowMs(), readyMs: nowMs() };
}

async function transfers(backend: ExternalBackend, calls: number, picture: boolean): Promise<Transfer> {
  const stage: AiStageSpec = { name: 'inference', model: { synthetic: { fixedMs: 0 } } };
  const trend = new Trend();
  const bytes = i420Bytes(WIDTH, HEIGHT);
  for (let i = 0; i < calls + 20; i += 1) {
    const input: Picture | undefined = picture
      ? { data: Buffer.alloc(bytes, i & 0xff), width: WIDTH, height: HEIGHT }
      : undefined;
    const result = await backend.run(stage, frameOf(i, VP8_BYTES), 0, input);
    // the encoder's thread would hand the answer's buffer back once it encoded it
    if (result.picture) backend.recycle(result.picture.buffer as ArrayBuffer);
    if (i >= 20 && result.transferMs !== undefined) trend.record(result.transferMs); // the first 20 warm up
  }
  const s = trend.summary();
  return {
    bytes: picture ? bytes : VP8_BYTES.reduce((a, b) => a + b, 0),
    p50Ms: s?.p50 ?? null,
    p95Ms: s?.p95 ?? null,
  };
}

export async function benchExternalI420(
  runScenarioText: (text: string) => Promise<RunSummary>,
  log: (text: string) => void,
  calls = 500,
): Promise<ExternalI420Result> {
  log(`(g) external worker, ${WIDTH}x${HEIGHT}: socket time of the frame's VP8 against the decoded picture ...`);
  const reference = new ExternalBackend(undefined, (m) => log(`    ${m}`));
  await reference.start();
  let vp8: Transfer;
  let i420: Transfer;
  try {
    vp8 = await transfers(reference, calls, false);
    i420 = await transfers(reference, calls, true);
  } finally {
    await reference.close();
  }
  const addedP50Ms = vp8.p50Ms !== null && i420.p50Ms !== null ? i420.p50Ms - vp8.p50Ms : null;
  log(`    vp8 ${vp8.p50Ms?.toFixed(2)} ms, i420 ${i420.p50Ms?.toFixed(2)} ms p50: +${addedP50Ms?.toFixed(2)} ms`);
  const result: ExternalI420Result = { calls, vp8, i420, addedP50Ms, sfuCopiesPerFrame: 3, run: await wholeRun() };
  const socket = process.env['BENCH_TORCH_SOCKET'];
  if (socket) {
    const other = new ExternalBackend(socket, (m) => log(`    ${m}`));
    await other.start();
    try {
      result.other = { socket, ...(await transfers(other, calls, true)) };
    } finally {
      await other.close();
    }
    log(`    ${socket}: i420 ${result.other.p50Ms?.toFixed(2)} ms p50`);
  }
  return result;

  async function wholeRun(): Promise<ExternalI420Result['run']> {
    log(
      `(g) real video path through the reference worker at ${WIDTH}x${HEIGHT}, 30 fps (decode -> worker -> encode) ...`,
    );
    const summary = await runScenarioText(`name: bench-i420
duration: 15s
warmup: 2s
peers:
  - { role: publisher, count: 1, video: { width: ${WIDTH}, height: ${HEIGHT}, fps: 30, bitrateKbps: 1000, source: encoded } }
  - { role: subscriber, count: 1 }
ai:
  placement: cloud
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: blur } }
    - { name: encode, model: { vp8: { bitrateKbps: 1000 } } }
  worker: { type: external }
`);
    const stages: Record<string, { p50: number | null; p95: number | null }> = {};
    for (const name of [
      'ai_queue_ms',
      'ai_decode_ms',
      'ai_inference_ms',
      'ai_transfer_ms',
      'ai_encode_ms',
      'ai_hook_ms',
    ]) {
      const t = summary.metrics[name] as TrendSummary | undefined;
      stages[name] = { p50: t?.p50 ?? null, p95: t?.p95 ?? null };
    }
    const counter = (name: string): number => (summary.metrics[name] as { count: number } | undefined)?.count ?? 0;
    return { stages, framesSent: counter('frames_sent'), framesDropped: counter('frames_dropped_ai') };
  }
}

export function externalI420Table(r: ExternalI420Result): string[] {
  const f2 = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
  const rows = [
    `| reference worker, the frame's VP8 (format vp8) | ${r.vp8.bytes} | ${f2(r.vp8.p50Ms)} / ${f2(r.vp8.p95Ms)} |`,
    `| reference worker, the decoded picture (format i420) | ${r.i420.bytes} | ${f2(r.i420.p50Ms)} / ${f2(r.i420.p95Ms)} |`,
  ];
  if (r.other)
    rows.push(
      `| ${r.other.socket}, decoded picture | ${r.other.bytes} | ${f2(r.other.p50Ms)} / ${f2(r.other.p95Ms)} |`,
    );
  const s = r.run.stages;
  const stage = (name: string): string => `${f2(s[name]?.p50 ?? null)} / ${f2(s[name]?.p95 ?? null)}`;
  return [
    `| external worker, ${WIDTH}x${HEIGHT}, one call at a time | bytes each way | ai_transfer_ms p50 / p95 |`,
    '|---|---|---|',
    ...rows,
    '',
    `i420 adds ${f2(r.addedP50Ms)} ms at the median over VP8 (target: at most 2 ms); the SFU copies the picture ${r.sfuCopiesPerFrame} times per frame.`,
    '',
    '| real video path through the reference worker, 640x360 30 fps | p50 / p95 ms |',
    '|---|---|',
    ...['ai_decode_ms', 'ai_inference_ms', 'ai_transfer_ms', 'ai_encode_ms', 'ai_hook_ms'].map(
      (n) => `| ${n} | ${stage(n)} |`,
    ),
    `| frames dropped by the hook | ${r.run.framesDropped} of ${r.run.framesSent} |`,
  ];
}
