/**
 * The AI hook of one published video track: complete frames enter a bounded queue, a fixed pool of
 * `workers` takes them one at a time and runs the stages in order on a backend (devices in process, or an
 * external worker). `inline` forwards each frame when its last stage is done; `tap` leaves forwarding alone
 * and only measures. What happened to every frame (queue wait, each stage, drops, failures) is reported.
 */
import { nowMs } from '../../src/metrics/clock.js';
import type { BufferedFrame } from './frame-buffer.js';
import { syntheticSampler } from './models.js';
import type { AiFrameRecord, AiOptions, AiStageSpec } from './types.js';

/** Runs one stage of one frame; resolves with where it ran and how long it took, rejects when it failed. */
export interface StageBackend {
  run(stage: AiStageSpec, frame: BufferedFrame, modelMs: number): Promise<{ device: string; ms: number }>;
}

export class AiPipeline {
  private readonly queue: BufferedFrame[] = [];
  private busy = 0;
  private closed = false;
  private readonly samplers: (() => number)[];

  constructor(
    private readonly options: AiOptions,
    private readonly backend: StageBackend,
    private readonly publisher: string,
    /** inline mode: the frame is ready to forward */
    private readonly onOutput: (frame: BufferedFrame) => void,
    private readonly onRecord: (record: AiFrameRecord) => void,
  ) {
    this.samplers = options.stages.map((s) => syntheticSampler(s.model.synthetic));
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** A complete frame arrived. With a full queue the policy decides which frame is dropped. */
  submit(frame: BufferedFrame): void {
    if (this.closed) return;
    const { max, policy } = this.options.queue;
    if (this.queue.length >= max && this.busy >= this.options.workers) {
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
    this.onRecord({ k: 'ai', f: frame.key, pub: this.publisher, readyMs: frame.readyMs, outcome: 'dropped', reason: `queue full (${this.options.queue.policy})` });
  }

  private pump(): void {
    while (!this.closed && this.busy < this.options.workers && this.queue.length > 0) {
      const frame = this.queue.shift() as BufferedFrame;
      this.busy += 1;
      void this.process(frame).finally(() => {
        this.busy -= 1;
        this.pump();
      });
    }
  }

  private async process(frame: BufferedFrame): Promise<void> {
    const takenMs = nowMs();
    const stages: Record<string, number> = {};
    let device: string | undefined;
    try {
      for (const [i, stage] of this.options.stages.entries()) {
        const result = await this.backend.run(stage, frame, (this.samplers[i] as () => number)());
        stages[stage.name] = result.ms;
        device = result.device;
      }
    } catch (error) {
      const record: AiFrameRecord = { k: 'ai', f: frame.key, pub: this.publisher, readyMs: frame.readyMs, outcome: 'failed', queueMs: takenMs - frame.readyMs, stages, reason: (error as Error).message };
      if (device) record.device = device;
      this.onRecord(record);
      return;
    }
    const doneMs = nowMs();
    const record: AiFrameRecord = { k: 'ai', f: frame.key, pub: this.publisher, readyMs: frame.readyMs, outcome: 'done', queueMs: takenMs - frame.readyMs, stages, hookMs: doneMs - frame.readyMs };
    if (device) record.device = device;
    if (this.closed) return;
    if (this.options.mode === 'inline') this.onOutput(frame);
    this.onRecord(record);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }
}
