/**
 * Picture quality at a synthetic receiver (scenario `quality: { sampleEvery: N }`): every frame of the stream is
 * decoded (VP8 needs each frame from a keyframe on) in a worker thread (quality-worker.ts, libvpx in wasm), so the
 * runner's event loop, where packet arrival times are taken, never waits for it; every Nth frame completed is
 * scored against the regenerated original (picture-quality.ts). Frames reach the decoder in the order they
 * completed; a frame that never completes leaves the pictures after it damaged until the next keyframe, as at
 * any receiver that does not conceal. Cost: a decode per frame received (about 2-5 ms of a core at 640x360) and
 * a score per sampled frame (about 1 ms). A decoder more than MAX_BEHIND frames behind (a machine that cannot
 * decode every stream) skips to the next keyframe, and a sampled frame whose score takes over SCORE_TIMEOUT_MS is
 * reported without one: the sampler costs samples, never the receipt's accounting.
 */
import { Worker } from 'node:worker_threads';

import type { RtpLike } from '../../media/frame-assembler.js';
import type { PictureQuality } from '../../media/picture-quality.js';
import { depacketizeVp8, isVp8FrameStart, isVp8Keyframe } from '../../media/vp8-synthetic.js';
import { childEntry } from '../../project-paths.js';
import type { LumaFilter } from '../../protocol/ai.js';
import type { PatternKind } from '../../protocol/video.js';
import type { QualityRequest, QualityResult, QualityWorkerConfig } from './quality-worker.js';

/**
 * a score the worker has not answered within this long is given up and the frame reported without one, ms: its
 * record waits no longer, so a busy decoder never makes a frame look late or lost
 */
const SCORE_TIMEOUT_MS = 500;
/** frames handed to the worker and not decoded yet beyond which the sampler skips to the next keyframe */
const MAX_BEHIND = 30;

export interface QualitySamplerOptions {
  sampleEvery: number;
  /** the source's picture size, px */
  width: number;
  height: number;
  pattern: PatternKind;
  filter: LumaFilter;
  /** the decoding worker failed (its libav did not load, it threw): reported once, the stream is no longer scored */
  onError?: (message: string) => void;
}

export class QualitySampler {
  private readonly worker: Worker;
  private readonly packets = new Map<number, Map<number, Buffer>>();
  private readonly waiting = new Map<number, (q: PictureQuality | undefined) => void>();
  private nextId = 1;
  private completed = 0;
  private keyframeSeen = false;
  /** frames handed to the worker that it has not finished */
  private behind = 0;
  private closed = false;
  /** the worker failed: nothing more is decoded or waited for */
  private failed = false;

  constructor(private readonly options: QualitySamplerOptions) {
    const config: QualityWorkerConfig = {
      width: options.width,
      height: options.height,
      pattern: options.pattern,
      filter: options.filter,
    };
    this.worker = new Worker(childEntry('src/peers/synthetic/quality-worker'), { workerData: config });
    this.worker.on('message', (result: QualityResult) => {
      this.behind = Math.max(0, this.behind - 1);
      if ('decoded' in result) return;
      const resolve = this.waiting.get(result.id);
      this.waiting.delete(result.id);
      resolve?.('psnrDb' in result ? { psnrDb: result.psnrDb, ssim: result.ssim } : undefined);
    });
    this.worker.on('error', (error) => {
      if (!this.failed) this.options.onError?.(`quality sampler: ${error.message}`);
      this.failed = true;
      this.settleAll();
    });
    this.worker.unref();
  }

  /** Every video packet, as it arrives. */
  push(rtp: RtpLike): void {
    const { timestamp, sequenceNumber } = rtp.header;
    let frame = this.packets.get(timestamp);
    if (!frame) {
      frame = new Map();
      this.packets.set(timestamp, frame);
      if (this.packets.size > 64) this.packets.delete(this.packets.keys().next().value as number);
    }
    frame.set(sequenceNumber, rtp.payload);
  }

  /**
   * The frame with RTP timestamp `rtpTs` is complete: hands it to the decoder. For every Nth, resolves to its
   * scores (undefined when the picture could not be scored); undefined for the others.
   */
  complete(rtpTs: number): Promise<PictureQuality | undefined> | undefined {
    const frame = this.packets.get(rtpTs);
    this.packets.delete(rtpTs);
    if (!frame || this.closed || this.failed) return undefined;
    const first = [...frame.entries()].find(([, p]) => isVp8FrameStart(p));
    if (!first) return undefined;
    const keyframe = isVp8Keyframe(first[1]);
    // a decoder that fell too far behind (the machine cannot decode every frame) starts again at a keyframe
    if (this.behind > MAX_BEHIND) this.keyframeSeen = false;
    if (!this.keyframeSeen && !keyframe) return undefined;
    this.keyframeSeen = true;
    this.behind += 1;
    const payloads = [...frame.entries()]
      .sort(([a], [b]) => ((a - first[0] + 0x10000) & 0xffff) - ((b - first[0] + 0x10000) & 0xffff))
      .map(([, p]) => p);
    const vp8 = depacketizeVp8(payloads);
    const data = vp8.buffer.slice(vp8.byteOffset, vp8.byteOffset + vp8.byteLength) as ArrayBuffer;
    this.completed += 1;
    const score = this.completed % this.options.sampleEvery === 0;
    const id = this.nextId++;
    this.worker.postMessage({ id, data, keyframe, score } satisfies QualityRequest, [data]);
    if (!score) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, SCORE_TIMEOUT_MS);
      this.waiting.set(id, (q) => {
        clearTimeout(timer);
        resolve(q);
      });
    });
  }

  private settleAll(): void {
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settleAll();
    await this.worker.terminate();
  }
}
