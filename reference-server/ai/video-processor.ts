/**
 * The real video path of one track, seen from the SFU's event loop: hands each frame's VP8 to its worker
 * thread (video-worker.ts, buffers transferred, not copied) and gets the processed, re-encoded frame back with
 * the time of each stage. A keyframe request from a subscriber makes the next encoded frame a keyframe.
 */
import { Worker } from 'node:worker_threads';

import { depacketizeVp8 } from '../../src/media/vp8-synthetic.js';
import { childEntry } from '../../src/project-paths.js';
import type { BufferedFrame } from './frame-buffer.js';
import type { VideoRequest, VideoResult, VideoWorkerConfig } from './video-worker.js';

export interface ProcessedVideo {
  data: Buffer;
  keyframe: boolean;
  stages: Record<string, number>;
}

export class VideoProcessor {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly waiting = new Map<number, { resolve: (v: ProcessedVideo) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private keyframeWanted = true;
  private failed: Error | undefined;

  constructor(config: VideoWorkerConfig) {
    this.worker = new Worker(childEntry('reference-server/ai/video-worker'), { workerData: config });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (message: VideoResult | { ready: true }) => {
        if ('ready' in message) {
          resolve();
          return;
        }
        const waiting = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (!waiting) return;
        if ('error' in message) waiting.reject(new Error(message.error));
        else waiting.resolve({ data: Buffer.from(message.data), keyframe: message.keyframe, stages: message.stages });
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

  async process(frame: BufferedFrame, modelMs: number): Promise<ProcessedVideo> {
    await this.ready;
    if (this.failed) throw this.failed;
    const vp8 = depacketizeVp8(frame.packets.map((p) => p.payload));
    // a copy the worker owns outright: the packets' buffers stay with werift
    const data = vp8.buffer.slice(vp8.byteOffset, vp8.byteOffset + vp8.byteLength) as ArrayBuffer;
    const id = this.nextId++;
    const request: VideoRequest = { id, data, keyframe: frame.keyframe, forceKeyframe: this.keyframeWanted, modelMs };
    this.keyframeWanted = false;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(request, [data]);
    });
  }

  async close(): Promise<void> {
    for (const w of this.waiting.values()) w.reject(new Error('closing'));
    this.waiting.clear();
    await this.worker.terminate();
  }
}
