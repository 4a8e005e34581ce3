/**
 * Worker thread of a synthetic receiver's quality sampler (quality-sampler.ts): decodes every VP8 frame handed
 * to it, in order, and scores the ones asked for: the marker read from the decoded luma names the frame, its
 * original is regenerated (i420-painter.ts, through the room's AI filter: luma-filter.ts) and compared below the
 * marker strip (picture-quality.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';

import LibAVFactory from '@libav.js/variant-vp8-opus';

import { paintPatternLuma } from '../../media/canvas-pattern.js';
import { filterLuma } from '../../media/luma-filter.js';
import { markerLayout, readMarkerLuma } from '../../media/marker.js';
import { pictureQuality } from '../../media/picture-quality.js';
import type { LumaFilter } from '../../protocol/ai.js';
import type { PatternKind } from '../../protocol/video.js';

export interface QualityWorkerConfig {
  width: number;
  height: number;
  pattern: PatternKind;
  filter: LumaFilter;
}

export interface QualityRequest {
  id: number;
  data: ArrayBuffer;
  keyframe: boolean;
  /** score this frame (otherwise only decode it) */
  score: boolean;
}

/** One answer per frame handed in: its scores, why it has none, or (not asked to score it) that it was decoded. */
export type QualityResult =
  { id: number; psnrDb: number; ssim: number } | { id: number; unscored: string } | { id: number; decoded: true };

const config = workerData as QualityWorkerConfig;
const port = parentPort;
if (!port) throw new Error('quality-worker must run as a worker thread');

const libav = await LibAVFactory.LibAV({ noworker: true, nothreads: true });
await libav.av_log_set_level(16);
const [, decoder, packet, frame] = await libav.ff_init_decoder('libvpx');
const original = new Uint8Array(config.width * config.height);
const reference = config.filter === 'copy' ? original : new Uint8Array(config.width * config.height);
let pts = 0;

async function handle(request: QualityRequest): Promise<QualityResult> {
  const frames = await libav.ff_decode_multi(
    decoder,
    packet,
    frame,
    [{ data: new Uint8Array(request.data), pts: pts++, ...(request.keyframe ? { flags: 1 } : {}) }],
    { copyoutFrame: 'default', ignoreErrors: true },
  );
  if (!request.score) return { id: request.id, decoded: true };
  const decoded = frames[frames.length - 1] as
    { data: Uint8Array; width: number; height: number; layout?: { offset: number; stride: number }[] } | undefined;
  const y = decoded?.layout?.[0];
  if (!decoded || !y) return { id: request.id, unscored: 'no picture' };
  const { width, height } = config;
  // a receiver of a scaled-down stream is not scored (the reference is the source's size)
  if (decoded.width !== width || decoded.height !== height) return { id: request.id, unscored: 'size' };
  const marker = readMarkerLuma(decoded.data.subarray(y.offset), y.stride, width);
  if (!marker) return { id: request.id, unscored: 'marker' };
  paintPatternLuma(original, width, height, marker.frameSeq, config.pattern);
  if (config.filter !== 'copy')
    filterLuma(reference, original, 0, width, width, height, config.filter, marker.frameSeq);
  const q = pictureQuality(
    { data: decoded.data, offset: y.offset, stride: y.stride },
    { data: reference, offset: 0, stride: width },
    width,
    height,
    markerLayout(width).stripHeight,
  );
  return { id: request.id, psnrDb: q.psnrDb, ssim: q.ssim };
}

let chain = Promise.resolve();
port.on('message', (request: QualityRequest) => {
  // strictly in order: the decoder's state depends on the previous frame
  chain = chain.then(async () => {
    let result: QualityResult;
    try {
      result = await handle(request);
    } catch (error) {
      result = { id: request.id, unscored: String(error) };
    }
    port.postMessage(result);
  });
});
