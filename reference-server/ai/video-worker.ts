/**
 * Worker thread of the real video path of one track: VP8 decode (libvpx in wasm, @libav.js/variant-vp8-opus,
 * nothing downloaded), a real CPU filter on the decoded pixels, VP8 encode. Frames come and go as transferred
 * ArrayBuffers; the packed I420 buffer the filter writes is allocated once and reused. Each stage is timed
 * here, where it runs. The marker strip at the top of the frame is copied unfiltered, so the frame's pixel
 * identity survives the round trip (docs/architecture.md).
 *
 * With an external worker (`format: i420`) the thread decodes (`decode`: the packed picture goes out,
 * transferred) and encodes what comes back (`encode`), putting the input's marker strip back first.
 */
import { parentPort, workerData } from 'node:worker_threads';

import LibAVFactory from '@libav.js/variant-vp8-opus';

import { filterLuma } from '../../src/media/luma-filter.js';
import { markerLayout } from '../../src/media/marker.js';
import { nowMs } from '../../src/metrics/clock.js';
import type { LumaFilter, VideoFilter } from '../../src/protocol/ai.js';

export interface VideoWorkerConfig {
  /** what the inference stage does: a real filter, or a synthetic model's time (spent blocking this thread) */
  inference: { filter: VideoFilter } | { synthetic: true } | { external: true } | undefined;
  bitrateKbps: number;
}

/** A frame's VP8: decoded, filtered and encoded here (`process`), or only decoded (`decode`, external worker). */
export interface VideoRequest {
  kind: 'process' | 'decode';
  id: number;
  data: ArrayBuffer;
  keyframe: boolean;
  forceKeyframe: boolean;
  /** synthetic inference: ms to spend */
  modelMs: number;
}

/** The external worker's picture of the frame last decoded, to encode (`length` bytes from `offset`). */
export interface EncodeRequest {
  kind: 'encode';
  id: number;
  buffer: ArrayBuffer;
  offset: number;
  length: number;
  width: number;
  height: number;
  forceKeyframe: boolean;
}

export type VideoResult =
  | { id: number; data: ArrayBuffer; keyframe: boolean; stages: Record<string, number>; spare?: ArrayBuffer }
  | { id: number; picture: ArrayBuffer; width: number; height: number; stages: Record<string, number> }
  | { id: number; error: string; spare?: ArrayBuffer };

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

/** the marker strip (and the row under it) of the picture last sent to the external worker, put back on return */
let strip: { id: number; rows: Uint8Array } | undefined;

type Decoded = { data: Uint8Array; width: number; height: number; layout?: Plane[] };

async function decode(request: VideoRequest, packed: boolean): Promise<Decoded | undefined> {
  const frames = await libav.ff_decode_multi(
    decoder,
    decPacket,
    decFrame,
    [{ data: new Uint8Array(request.data), pts, ...(request.keyframe ? { flags: 1 } : {}) }],
    { copyoutFrame: packed ? 'video_packed' : 'default' },
  );
  pts += 1;
  return frames[frames.length - 1] as Decoded | undefined;
}

async function encode(
  picture: Uint8Array,
  width: number,
  height: number,
  forceKeyframe: boolean,
): Promise<Uint8Array | undefined> {
  const enc = await ensureEncoder(width, height);
  const packets = await libav.ff_encode_multi(enc.ctx, enc.frame, enc.packet, [
    {
      data: picture,
      format: libav.AV_PIX_FMT_YUV420P,
      width,
      height,
      pts,
      ...(forceKeyframe ? { pict_type: 1 } : {}),
    },
  ]);
  return packets[0]?.data;
}

/** Decode only: the packed picture (its own buffer, transferred) for the external worker. */
async function handleDecode(request: VideoRequest): Promise<VideoResult> {
  const t = nowMs();
  const decoded = await decode(request, true);
  const stages = { decode: nowMs() - t };
  if (!decoded) return { id: request.id, error: 'the decoder gave no picture (waiting for a keyframe)' };
  const rows = (markerLayout(decoded.width).stripHeight + 1) * decoded.width;
  strip = { id: request.id, rows: decoded.data.slice(0, Math.min(rows, decoded.width * decoded.height)) };
  const picture = decoded.data.buffer as ArrayBuffer;
  return { id: request.id, picture, width: decoded.width, height: decoded.height, stages };
}

/** The external worker's picture: the input's marker strip put back, then encoded; its buffer goes back. */
async function handleEncode(request: EncodeRequest): Promise<VideoResult> {
  const spare = request.buffer;
  const t = nowMs();
  const picture = new Uint8Array(spare, request.offset, request.length);
  if (strip?.id !== request.id) return { id: request.id, error: 'no decoded picture to encode', spare };
  picture.set(strip.rows, 0);
  strip = undefined;
  const out = await encode(picture, request.width, request.height, request.forceKeyframe);
  const stages = { encode: nowMs() - t };
  if (!out) return { id: request.id, error: 'the encoder dropped the frame', spare };
  return { id: request.id, data: out.slice().buffer, keyframe: ((out[0] ?? 1) & 1) === 0, stages, spare };
}

async function handle(request: VideoRequest | EncodeRequest): Promise<VideoResult> {
  if (request.kind === 'encode') return handleEncode(request);
  if (request.kind === 'decode') return handleDecode(request);
  const stages: Record<string, number> = {};
  let t = nowMs();
  const decoded = await decode(request, false);
  stages['decode'] = nowMs() - t;
  if (!decoded || !decoded.layout)
    return { id: request.id, error: 'the decoder gave no picture (waiting for a keyframe)' };
  await ensureEncoder(decoded.width, decoded.height);
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
      inference && 'filter' in inference ? inference.filter : 'copy',
      pts,
    );
  if (inference) stages['inference'] = nowMs() - t;
  t = nowMs();
  const out = await encode(packed as Uint8Array, decoded.width, decoded.height, request.forceKeyframe);
  stages['encode'] = nowMs() - t;
  if (!out) return { id: request.id, error: 'the encoder dropped the frame' };
  const copy = out.slice().buffer;
  return { id: request.id, data: copy, keyframe: ((out[0] ?? 1) & 1) === 0, stages };
}

let chain = Promise.resolve();
port.on('message', (request: VideoRequest | EncodeRequest) => {
  // strictly in order: decoder and encoder state depend on the previous frame
  chain = chain.then(async () => {
    let result: VideoResult;
    try {
      result = await handle(request);
    } catch (error) {
      result = {
        id: request.id,
        error: String(error),
        ...(request.kind === 'encode' ? { spare: request.buffer } : {}),
      };
    }
    const transfer: ArrayBuffer[] = [];
    if ('data' in result) transfer.push(result.data);
    if ('picture' in result) transfer.push(result.picture);
    if ('spare' in result && result.spare) transfer.push(result.spare);
    port.postMessage(result, transfer);
  });
});
port.postMessage({ ready: true });
