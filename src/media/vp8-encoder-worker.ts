/**
 * Worker thread that paints and VP8-encodes frames for a synthetic publisher with real video, so the
 * encoder (libvpx in wasm, @libav.js/variant-vp8-opus; about 5-10 ms a frame at 640x360) never blocks the
 * peer runner's event loop, where packet arrival times are taken.
 */
import { parentPort, workerData } from 'node:worker_threads';

import LibAVFactory from '@libav.js/variant-vp8-opus';

import { i420Size, paintI420 } from './i420-painter.js';

export interface EncoderConfig {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  keyframeIntervalMs: number;
  publisherTag: number;
  /** paint the pattern's texture (i420-painter.ts) */
  texture?: boolean;
}

export type EncoderRequest = { seq: number; captureMs: number; keyframe: boolean } | { close: true };
export type EncoderResult =
  | { ready: true }
  | { seq: number; captureMs: number; data: Uint8Array; keyframe: boolean }
  | { seq: number; captureMs: number; error: string }
  /** libvpx's rate control skipped the frame */
  | { seq: number; captureMs: number; dropped: true };

const config = workerData as EncoderConfig;
const port = parentPort;
if (!port) throw new Error('vp8-encoder-worker must run as a worker thread');

const libav = await LibAVFactory.LibAV({ noworker: true, nothreads: true });
await libav.av_log_set_level(16); // AV_LOG_ERROR: keep libvpx's banner off the console
const [, context, frame, packet] = await libav.ff_init_encoder('libvpx', {
  ctx: {
    bit_rate: config.bitrateKbps * 1000,
    width: config.width,
    height: config.height,
    pix_fmt: libav.AV_PIX_FMT_YUV420P,
    gop_size: Math.max(1, Math.round((config.keyframeIntervalMs / 1000) * config.fps)),
    framerate_num: Math.round(config.fps),
    framerate_den: 1,
  },
  time_base: [1, Math.round(config.fps)],
  // real-time settings as a conferencing sender uses them: no look-ahead, fastest preset
  options: { deadline: 'realtime', 'cpu-used': '8', 'lag-in-frames': '0' },
});
const buffer = new Uint8Array(i420Size(config.width, config.height));

port.on('message', (request: EncoderRequest) => {
  void (async () => {
    if ('close' in request) {
      await libav.ff_free_encoder(context, frame, packet);
      port.close();
      return;
    }
    try {
      paintI420(
        buffer,
        config.width,
        config.height,
        request.seq,
        {
          publisherTag: config.publisherTag,
          frameSeq: request.seq,
          captureMs: request.captureMs,
        },
        config.texture === true,
      );
      const packets = await libav.ff_encode_multi(context, frame, packet, [
        // pict_type 1 (AV_PICTURE_TYPE_I) makes libvpx emit a keyframe: the answer to a PLI
        {
          data: buffer,
          format: libav.AV_PIX_FMT_YUV420P,
          width: config.width,
          height: config.height,
          pts: request.seq,
          ...(request.keyframe ? { pict_type: 1 } : {}),
        },
      ]);
      if (packets.length === 0)
        port.postMessage({ seq: request.seq, captureMs: request.captureMs, dropped: true } satisfies EncoderResult);
      for (const p of packets) {
        const data = p.data;
        port.postMessage(
          {
            seq: request.seq,
            captureMs: request.captureMs,
            data,
            keyframe: ((data[0] ?? 1) & 1) === 0,
          } satisfies EncoderResult,
          [data.buffer as ArrayBuffer],
        );
      }
    } catch (error) {
      port.postMessage({
        seq: request.seq,
        captureMs: request.captureMs,
        error: String(error),
      } satisfies EncoderResult);
    }
  })();
});
port.postMessage({ ready: true } satisfies EncoderResult);
