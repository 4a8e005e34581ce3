/**
 * A live VP8 encoder in a worker thread: frames in (sequence, capture time), encoded VP8 frames out. The
 * capture time is the frame's slot on its publisher's timetable (timetable.ts) and travels with the frame, so
 * the time spent waiting for and in the encoder counts in send_lag_ms, not in the frame's capture time.
 */
import { Worker } from 'node:worker_threads';

import { childEntry } from '../project-paths.js';
import type { EncoderConfig, EncoderRequest, EncoderResult } from './vp8-encoder-worker.js';

export interface EncodedFrame {
  seq: number;
  captureMs: number;
  data: Buffer;
  keyframe: boolean;
}

export class Vp8LiveEncoder {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  /** frames handed to the worker and not back yet */
  inFlight = 0;

  /** frames libvpx dropped (rate control) */
  dropped = 0;
  /** capture time of each frame handed in and not back yet, by sequence number */
  private readonly pending = new Map<number, number>();
  private readonly onLeft: (seq: number, captureMs: number) => void;

  /**
   * @param onDropped a frame handed in that will never come out: libvpx's rate control dropped it, or encoding
   *   it failed (after `onError`); with its sequence number and capture time, so the publisher reports it
   */
  constructor(
    config: EncoderConfig,
    onFrame: (frame: EncodedFrame) => void,
    onError: (message: string) => void,
    onDropped: (seq: number, captureMs: number) => void = () => undefined,
    /** a frame still in the encoder when it was closed: it will never come out */
    onLeft: (seq: number, captureMs: number) => void = () => undefined,
  ) {
    this.onLeft = onLeft;
    this.worker = new Worker(childEntry('src/media/vp8-encoder-worker'), { workerData: config });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (result: EncoderResult) => {
        if ('ready' in result) {
          resolve();
          return;
        }
        this.inFlight = Math.max(0, this.inFlight - 1);
        this.pending.delete(result.seq);
        if ('dropped' in result) {
          this.dropped += 1;
          onDropped(result.seq, result.captureMs);
        } else if ('error' in result) {
          onError(`VP8 encoder: ${result.error}`);
          onDropped(result.seq, result.captureMs);
        } else
          onFrame({
            seq: result.seq,
            captureMs: result.captureMs,
            data: Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength),
            keyframe: result.keyframe,
          });
      });
    });
  }

  start(): Promise<void> {
    return this.ready;
  }

  encode(seq: number, captureMs: number, keyframe: boolean): void {
    this.inFlight += 1;
    this.pending.set(seq, captureMs);
    this.worker.postMessage({ seq, captureMs, keyframe } satisfies EncoderRequest);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
    for (const [seq, captureMs] of this.pending) this.onLeft(seq, captureMs);
    this.pending.clear();
  }
}
