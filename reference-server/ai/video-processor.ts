/**
 * The real video path of one track, seen from the SFU's event loop: hands each frame's VP8 to its worker
 * thread (video-worker.ts, buffers transferred, not copied) and gets the processed, re-encoded frame back with
 * the time of each stage. A keyframe request from a subscriber makes the next encoded frame a keyframe. With an
 * external worker the thread decodes (`decode`), the caller sends the picture out, and the thread encodes what
 * comes back (`encode`).
 */
import { Worker } from 'node:worker_threads';

import { depacketizeVp8 } from '../../src/media/vp8-synthetic.js';
import { childEntry } from '../../src/project-paths.js';
import type { BufferedFrame } from './frame-buffer.js';
import type { Picture } from './pipeline.js';
import type { EncodeRequest, VideoRequest, VideoResult, VideoWorkerConfig } from './video-worker.js';

export interface ProcessedVideo {
  data: Buffer;
  keyframe: boolean;
  stages: Record<string, number>;
}

/** A frame decoded for an external worker: the picture (its own buffer) and the decode stage's time. */
export interface DecodedPicture {
  id: number;
  picture: Picture;
  stages: Record<string, number>;
}

type Settle = { resolve: (v: VideoResult) => void; reject: (e: Error) => void };

export class VideoProcessor {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly waiting = new Map<number, Settle>();
  private nextId = 1;
  private keyframeWanted = true;
  private failed: Error | undefined;

  /** `onSpare`: a picture buffer the thread is done with (the external backend reuses it) */
  constructor(
    config: VideoWorkerConfig,
    private readonly onSpare: (buffer: ArrayBuffer) => void = () => undefined,
  ) {
    this.worker = new Worker(childEntry('reference-server/ai/video-worker'), { workerData: config });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (message: VideoResult | { ready: true }) => {
        if ('ready' in message) {
          resolve();
          return;
        }
        if ('spare' in message && message.spare) this.onSpare(message.spare);
        const waiting = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (!waiting) return;
        if ('error' in message) waiting.reject(new Error(message.error));
        else waiting.resolve(message);
      });
    });
    this.worker.on('error', (error) => {
      this.failed = error;
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
  }

  requestKeyframe(): void {
    this.keyframeWanted = true;
  }

  private async send(request: VideoRequest | EncodeRequest, transfer: ArrayBuffer[]): Promise<VideoResult> {
    await this.ready;
    if (this.failed) throw this.failed;
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.worker.postMessage(request, transfer);
    });
  }

  private request(frame: BufferedFrame, kind: VideoRequest['kind'], modelMs: number): VideoRequest {
    const vp8 = depacketizeVp8(frame.packets.map((p) => p.payload));
    // a copy the worker owns outright: the packets' buffers stay with werift
    const data = vp8.buffer.slice(vp8.byteOffset, vp8.byteOffset + vp8.byteLength) as ArrayBuffer;
    const forceKeyframe = this.keyframeWanted && kind === 'process';
    if (forceKeyframe) this.keyframeWanted = false;
    return { kind, id: this.nextId++, data, keyframe: frame.keyframe, forceKeyframe, modelMs };
  }

  /** decode, filter (or spend a synthetic model's time) and encode in the thread */
  async process(frame: BufferedFrame, modelMs: number): Promise<ProcessedVideo> {
    const request = this.request(frame, 'process', modelMs);
    return encoded(await this.send(request, [request.data]));
  }

  /** decode only: the picture for an external worker */
  async decode(frame: BufferedFrame): Promise<DecodedPicture> {
    const request = this.request(frame, 'decode', 0);
    const result = await this.send(request, [request.data]);
    if (!('picture' in result)) throw new Error('the video thread answered a decode without a picture');
    const { width, height, stages } = result;
    return { id: request.id, picture: { data: Buffer.from(result.picture), width, height }, stages };
  }

  /**
   * Encodes the picture an external worker returned for `decoded` (its buffer is handed to the thread, and
   * comes back through `onSpare`).
   */
  async encode(decoded: DecodedPicture, picture: Buffer): Promise<ProcessedVideo> {
    const { width, height } = decoded.picture;
    const forceKeyframe = this.keyframeWanted;
    this.keyframeWanted = false;
    const buffer = picture.buffer as ArrayBuffer;
    const request: EncodeRequest = {
      kind: 'encode',
      id: decoded.id,
      buffer,
      offset: picture.byteOffset,
      length: picture.length,
      width,
      height,
      forceKeyframe,
    };
    return encoded(await this.send(request, [buffer]));
  }

  async close(): Promise<void> {
    for (const w of this.waiting.values()) w.reject(new Error('closing'));
    this.waiting.clear();
    await this.worker.terminate();
  }
}

function encoded(result: VideoResult): ProcessedVideo {
  if (!('data' in result)) throw new Error('the video thread answered without an encoded frame');
  return { data: Buffer.from(result.data), keyframe: result.keyframe, stages: result.stages };
}
