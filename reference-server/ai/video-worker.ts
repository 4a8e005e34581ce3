/**
 * Worker thread of the real video path of one track: VP8 decode (libvpx in wasm, @libav.js/variant-vp8-opus,
 * nothing downloaded), a real CPU filter on the decoded pixels, VP8 encode. Frames come and go as transferred
 * ArrayBuffers; the packed I420 buffer the filter writes is allocated once and reused. Each stage is timed
 * here, where it runs. The marker strip at the top of the frame is copied unfiltered, so the frame's pixel
 * identity survives the round trip (docs/architecture.md).
 */
import { parentPort, workerData } from 'node:worker_threads';

import LibAVFactory from '@libav.js/variant-vp8-opus';

import { filterLuma } from '../../src/media/luma-filter.js';
import { nowMs } from '../../src/metrics/clock.js';
import type { LumaFilter, VideoFilter } from '../../src/protocol/ai.js';

export interface VideoWorkerConfig {
  /** what the inference stage does: a real filter, or a synthetic model's time (spent blocking this thread) */
  inference: { filter: VideoFilter } | { synthetic: true } | undefined;
  bitrateKbps: number;
}

export interface VideoRequest {
  id: number;
  data: ArrayBuffer;
  keyframe: boolean;
  forceKeyframe: boolean;
  /** synthetic inference: ms to spend */
  modelMs: number;
}

export type VideoResult =
  { id: number; data: ArrayBuffer; keyframe: boolean; stages: Record<string, number> } | { id: number; error: string };

const config = workerData as VideoWorkerConfig;
const port = parentPort;
if (!port) throw new Error('video-worker must run as a worker thread');

const libav = await LibAVFactory.LibAV({ noworker: true, nothreads: true });
await libav.av_log_set_level(16);
const [, decoder, decPacket, decFrame] = await libav.ff_init_decoder('libvpx');
let encoder: { ctx: number; frame: number; packet: number; width: number; height: number } | undefined;
let packed: Uint8Array | undefined;
let pts = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

interface Plane {
  offset: number;
  stride: number;
}

/** The filter on the luma plane (luma-filter.ts: the marker strip is left as it is); chroma copied. */
function filterInto(
  out: Uint8Array,
  src: Uint8Array,
  layout: Plane[],
  width: number,
  height: number,
  kind: LumaFilter,
  seed: number,
): void {
  const [y, u, v] = layout as [Plane, Plane, Plane];
  filterLuma(out, src, y.offset, y.stride, width, height, kind, seed);
  const cw = width >> 1;
  const ch = height >> 1;
  let d = width * height;
  for (const plane of [u, v]) {
    for (let row = 0; row < ch; row += 1, d += cw)
      out.set(src.subarray(plane.offset + row * plane.stride, plane.offset + row * plane.stride + cw), d);
  }
}

async function ensureEncoder(width: number, height: number): Promise<NonNullable<typeof encoder>> {
  if (encoder && encoder.width === width && encoder.height === height) return encoder;
  if (encoder) await libav.ff_free_encoder(encoder.ctx, encoder.frame, encoder.packet);
  const [, ctx, frame, packet] = await libav.ff_init_encoder('libvpx', {
    ctx: {
      bit_rate: config.bitrateKbps * 1000,
      width,
      height,
      pix_fmt: libav.AV_PIX_FMT_YUV420P,
      gop_size: 300,
      framerate_num: 30,
      framerate_den: 1,
    },
    time_base: [1, 30],
    options: { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0' },
  });
  encoder = { ctx, frame, packet, width, height };
  packed = new Uint8Array((width * height * 3) / 2);
  return encoder;
}

async function handle(request: VideoRequest): Promise<VideoResult> {
  const stages: Record<string, number> = {};
  let t = nowMs();
  const frames = await libav.ff_decode_multi(
    decoder,
    decPacket,
    decFrame,
    [{ data: new Uint8Array(request.data), pts, ...(request.keyframe ? { flags: 1 } : {}) }],
    { copyoutFrame: 'default' },
  );
  pts += 1;
  const decoded = frames[frames.length - 1] as
    { data: Uint8Array; width: number; height: number; layout?: Plane[] } | undefined;
  stages['decode'] = nowMs() - t;
  if (!decoded || !decoded.layout)
    return { id: request.id, error: 'the decoder gave no picture (waiting for a keyframe)' };
  const enc = await ensureEncoder(decoded.width, decoded.height);
  t = nowMs();
  const inference = config.inference;
  if (inference && 'synthetic' in inference) {
    Atomics.wait(sleeper, 0, 0, request.modelMs); // a synthetic model's time, spent on this thread
    filterInto(packed as Uint8Array, decoded.data, decoded.layout, decoded.width, decoded.height, 'copy', pts);
  } else
    filterInto(
      packed as Uint8Array,
      decoded.data,
      decoded.layout,
      decoded.width,
      decoded.height,
      inference?.filter ?? 'copy',
      pts,
    );
  if (inference) stages['inference'] = nowMs() - t;
  t = nowMs();
  const packets = await libav.ff_encode_multi(enc.ctx, enc.frame, enc.packet, [
    {
      data: packed as Uint8Array,
      format: libav.AV_PIX_FMT_YUV420P,
      width: enc.width,
      height: enc.height,
      pts,
      ...(request.forceKeyframe ? { pict_type: 1 } : {}),
    },
  ]);
  stages['encode'] = nowMs() - t;
  const out = packets[0]?.data;
  if (!out) return { id: request.id, error: 'the encoder dropped the frame' };
  const copy = out.slice().buffer;
  return { id: request.id, data: copy, keyframe: ((out[0] ?? 1) & 1) === 0, stages };
}

let chain = Promise.resolve();
port.on('message', (request: VideoRequest) => {
  // strictly in order: decoder and encoder state depend on the previous frame
  chain = chain.then(async () => {
    let result: VideoResult;
    try {
      result = await handle(request);
    } catch (error) {
      result = { id: request.id, error: String(error) };
    }
    port.postMessage(result, 'data' in result ? [result.data] : []);
  });
});
port.postMessage({ ready: true });
