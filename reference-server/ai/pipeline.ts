/**
 * The AI hook of one published video track: complete frames enter a bounded queue, a fixed pool of
 * `workers` takes them one at a time and runs the stages in order on a backend (devices in process, or an
 * external worker). `inline` forwards each frame when its last stage is done; `tap` leaves forwarding alone
 * and only measures. What happened to every frame (queue wait, each stage, drops, failures) is reported.
 */
import { nowMs } from '../../src/metrics/clock.js';
import {
  type AiFrameRecord,
  type AiOptions,
  type AiStageSpec,
  isExternalPicture,
  isRealVideo,
} from '../../src/protocol/ai.js';
import { syntheticSampler } from '../../src/protocol/synthetic-sampler.js';
import type { BufferedFrame } from './frame-buffer.js';
import { type ProcessedVideo, VideoProcessor } from './video-processor.js';

/** A decoded picture, planar I420 with no padding (worker-protocol.ts). */
export interface Picture {
  data: Buffer;
  width: number;
  height: number;
}

/** Where a stage ran and how long it took; an external worker's answer adds the socket, its batch, a picture. */
export interface StageResult {
  device: string;
  /** the stage's time: the device's, or what the external worker reports as its compute (its wait excluded) */
  ms: number;
  /** external worker: the round trip less the worker's compute and batch wait (the socket, both ways) */
  transferMs?: number;
  batch?: number;
  batchWaitMs?: number;
  /** `format: i420`: the processed picture the worker returned */
  picture?: Buffer;
}

/** Runs one stage of one frame (or of its decoded picture); rejects when it failed. */
export interface StageBackend {
  run(stage: AiStageSpec, frame: BufferedFrame, modelMs: number, picture?: Picture): Promise<StageResult>;
  /** a picture buffer the caller is done with, for the backend to reuse */
  recycle?(buffer: ArrayBuffer): void;
}

/** One AI pipeline: the stages it runs, where, for whose frames, and where its frames and records go. */
export interface AiPipelineOptions {
  /** the scenario's AI hook: stages, workers, queue, mode (inline or tap) */
  ai: AiOptions;
  /** runs each stage: devices in process, or an external worker */
  backend: StageBackend;
  /** the publisher whose frames enter the pipeline (the records' `pub`) */
  publisher: string;
  /** inline mode: the frame is ready to forward (with the re-encoded VP8, on the real video path) */
  onOutput: (frame: BufferedFrame, output?: ProcessedVideo) => void;
  /** what happened to each frame: done, dropped or failed, with its queue wait and stage times */
  onRecord: (record: AiFrameRecord) => void;
  /** real video path: ask the publisher for a keyframe (the decoder lost its reference); default: nothing */
  onKeyframeNeeded?: () => void;
}

export class AiPipeline {
  private readonly options: AiOptions;
  private readonly backend: StageBackend;
  private readonly publisher: string;
  private readonly onOutput: (frame: BufferedFrame, output?: ProcessedVideo) => void;
  private readonly onRecord: (record: AiFrameRecord) => void;
  private readonly onKeyframeNeeded: () => void;
  private readonly queue: BufferedFrame[] = [];
  private busy = 0;
  /** order numbers of frames taken by a worker, and of the next one to leave */
  private taken = 0;
  private released = 0;
  private readonly finished = new Map<number, (() => void) | undefined>();
  private closed = false;
  private readonly samplers: (() => number)[];
  /** the real video path (decode -> filter -> encode in a worker thread), when the stages ask for it */
  private readonly video: VideoProcessor | undefined;
  /** real video path: the decoder has not seen a keyframe since it started or since a frame was dropped */
  private needKeyframe = true;

  constructor({
    ai: options,
    backend,
    publisher,
    onOutput,
    onRecord,
    onKeyframeNeeded = () => undefined,
  }: AiPipelineOptions) {
    this.options = options;
    this.backend = backend;
    this.publisher = publisher;
    this.onOutput = onOutput;
    this.onRecord = onRecord;
    this.onKeyframeNeeded = onKeyframeNeeded;
    this.samplers = options.stages.map((s) => ('synthetic' in s.model ? syntheticSampler(s.model.synthetic) : () => 0));
    if (isRealVideo(options)) {
      const inference = options.stages.find((s) => s.name === 'inference')?.model;
      const encode = options.stages.find((s) => s.name === 'encode')?.model;
      this.video = new VideoProcessor(
        {
          inference: isExternalPicture(options)
            ? { external: true }
            : inference === undefined
              ? undefined
              : 'filter' in inference
                ? { filter: inference.filter }
                : { synthetic: true },
          bitrateKbps: (encode && 'vp8' in encode ? encode.vp8.bitrateKbps : undefined) ?? 1000,
        },
        (buffer) => backend.recycle?.(buffer),
      );
    }
  }

  /** real video path: a subscriber asked for a keyframe, so the hook's encoder makes the next one */
  requestKeyframe(): void {
    this.video?.requestKeyframe();
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** A complete frame arrived. With a full queue the policy decides which frame is dropped. */
  submit(frame: BufferedFrame): void {
    if (this.closed) return;
    if (this.video && this.needKeyframe) {
      // a VP8 decoder that missed a frame cannot decode what follows: wait for the next keyframe
      if (!frame.keyframe) {
        this.onRecord({
          k: 'ai',
          f: frame.key,
          pub: this.publisher,
          readyMs: frame.readyMs,
          outcome: 'dropped',
          reason: 'waiting for a keyframe',
        });
        this.onKeyframeNeeded();
        return;
      }
      this.needKeyframe = false;
    }
    const { max, policy } = this.options.queue;
    if (this.queue.length >= max && this.busy >= this.options.workers && this.video && policy !== 'block') {
      // on the real video path any drop breaks the decoder's chain of references: what waits depends on
      // what is dropped, so all of it goes, and the hook waits for a keyframe (this one, if it is one)
      for (const waiting of this.queue.splice(0)) this.dropped(waiting);
      if (!frame.keyframe) {
        this.dropped(frame);
        return;
      }
      this.needKeyframe = false;
    } else if (this.queue.length >= max && this.busy >= this.options.workers) {
      if (policy === 'drop-newest') {
        this.dropped(frame);
        return;
      }
      if (policy === 'drop-oldest') this.dropped(this.queue.shift() as BufferedFrame);
      // block: nothing is dropped, the queue (and latency) grows
    }
    this.queue.push(frame);
    this.pump();
  }

  private dropped(frame: BufferedFrame): void {
    if (this.video) {
      this.needKeyframe = true;
      this.onKeyframeNeeded();
    }
    this.onRecord({
      k: 'ai',
      f: frame.key,
      pub: this.publisher,
      readyMs: frame.readyMs,
      outcome: 'dropped',
      reason: `queue full (${this.options.queue.policy})`,
    });
  }

  private pump(): void {
    while (!this.closed && this.busy < this.options.workers && this.queue.length > 0) {
      const frame = this.queue.shift() as BufferedFrame;
      this.busy += 1;
      const order = this.taken++;
      void this.process(frame, order).finally(() => {
        this.busy -= 1;
        this.pump();
      });
    }
  }

  /**
   * Workers finish out of order when model times vary; frames leave in the order they were taken, so a
   * receiver never sees time run backwards. A failed frame frees its place in the line.
   */
  private release(order: number, forward: (() => void) | undefined): void {
    this.finished.set(order, forward);
    while (this.finished.has(this.released)) {
      const next = this.finished.get(this.released);
      this.finished.delete(this.released);
      this.released += 1;
      next?.();
    }
  }

  private async process(frame: BufferedFrame, order: number): Promise<void> {
    const takenMs = nowMs();
    const stages: Record<string, number> = {};
    let device: string | undefined;
    let output: ProcessedVideo | undefined;
    const batch: { size?: number; waitMs?: number } = {};
    /** an external worker's answer: its compute is the stage's time, the socket's is `transfer` */
    const took = (stage: AiStageSpec, result: StageResult): void => {
      stages[stage.name] = result.ms;
      if (result.transferMs !== undefined) stages['transfer'] = (stages['transfer'] ?? 0) + result.transferMs;
      if (result.batch !== undefined) batch.size = result.batch;
      if (result.batchWaitMs !== undefined) batch.waitMs = result.batchWaitMs;
      device = result.device;
    };
    try {
      const inferenceIndex = this.options.stages.findIndex((s) => s.name === 'inference');
      const modelMs = (i: number): number => (i >= 0 ? (this.samplers[i] as () => number)() : 0);
      if (this.video && isExternalPicture(this.options)) {
        // decode here, the picture to the external worker and back, encode here
        const decoded = await this.video.decode(frame);
        Object.assign(stages, decoded.stages);
        const stage = this.options.stages[inferenceIndex] as AiStageSpec;
        const result = await this.backend.run(stage, frame, modelMs(inferenceIndex), decoded.picture);
        took(stage, result);
        if (!result.picture) throw new Error('the external worker returned no picture');
        output = await this.video.encode(decoded, result.picture);
        Object.assign(stages, output.stages);
      } else if (this.video) {
        output = await this.video.process(frame, modelMs(inferenceIndex));
        Object.assign(stages, output.stages);
        device = 'cpu';
      } else
        for (const [i, stage] of this.options.stages.entries())
          took(stage, await this.backend.run(stage, frame, modelMs(i)));
    } catch (error) {
      const record: AiFrameRecord = {
        k: 'ai',
        f: frame.key,
        pub: this.publisher,
        readyMs: frame.readyMs,
        outcome: 'failed',
        queueMs: takenMs - frame.readyMs,
        stages,
        reason: (error as Error).message,
      };
      if (device) record.device = device;
      this.onRecord(record);
      this.release(order, undefined);
      return;
    }
    const doneMs = nowMs();
    const record: AiFrameRecord = {
      k: 'ai',
      f: frame.key,
      pub: this.publisher,
      readyMs: frame.readyMs,
      outcome: 'done',
      queueMs: takenMs - frame.readyMs,
      stages,
      hookMs: doneMs - frame.readyMs,
    };
    if (device) record.device = device;
    if (batch.size !== undefined) record.batch = batch.size;
    if (batch.waitMs !== undefined) record.batchWaitMs = batch.waitMs;
    if (this.closed) return;
    this.onRecord(record);
    this.release(order, this.options.mode === 'inline' ? () => this.onOutput(frame, output) : undefined);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    void this.video?.close();
  }
}
