/**
 * Edge placement (docs/architecture.md): the AI runs in the sending page, on each raw frame before the
 * encoder. Frames drawn by the publisher go through the stages one at a time (a frame that arrives while
 * one is in progress waits; a newer one replaces it, and the one replaced is dropped, as the cloud hook's
 * drop-oldest queue does) and out through a MediaStreamTrackGenerator to the encoder. Per frame the page
 * reports the same times as the cloud hook: `ai_queue_ms`, `ai_<stage>_ms` and `ai_hook_ms`.
 */
import { markerLayout } from '../../media/marker.js';
import type { AiStageSpec } from '../../protocol/ai.js';
import { syntheticSampler } from '../../protocol/synthetic-sampler.js';
import { nowMs } from './clock.js';
import type { PageEdgeAi } from './types.js';

/** The face detector of @vladmandic/face-api (its model files ship in the npm package; served by the host). */
interface FaceApi {
  tf: { setBackend(name: string): Promise<boolean>; ready(): Promise<void> };
  nets: { tinyFaceDetector: { loadFromUri(uri: string): Promise<void> } };
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(
    input: HTMLCanvasElement,
    options: unknown,
  ): Promise<{ box: { x: number; y: number; width: number; height: number } }[]>;
}

async function loadFaceApi(): Promise<FaceApi> {
  const w = window as unknown as { faceapi?: FaceApi };
  if (!w.faceapi) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/face-api/face-api.js';
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('could not load /face-api/face-api.js'));
      document.head.appendChild(script);
    });
  }
  const faceapi = w.faceapi;
  if (!faceapi) throw new Error('face-api did not define window.faceapi');
  // the CPU backend: headless Chromium's WebGL is a software rasteriser, slower and less predictable
  await faceapi.tf.setBackend('cpu');
  await faceapi.tf.ready();
  await faceapi.nets.tinyFaceDetector.loadFromUri('/face-api/model');
  return faceapi;
}

function preciseWait(ms: number): Promise<void> {
  const due = nowMs() + ms;
  return new Promise((resolve) => {
    const spin = (): void => {
      while (nowMs() < due) {
        /* the last millisecond: timers are not finer */
      }
      resolve();
    };
    if (ms > 2) window.setTimeout(spin, ms - 1.5);
    else spin();
  });
}

interface Pending {
  frame: VideoFrame;
  f: string;
  captureMs: number;
}

type StageRunner = (frame: VideoFrame) => Promise<VideoFrame>;

export class EdgeAi {
  readonly track: MediaStreamTrack;
  /** a processed frame (key `f`, drawn at `captureMs`) entered the encoder's source; dropped or failed ones never do */
  onSourced: (f: string, captureMs: number) => void = () => undefined;
  private readonly writer: WritableStreamDefaultWriter<VideoFrame>;
  private runners: { name: string; run: StageRunner }[] = [];
  private waiting: Pending | undefined;
  private busy = false;
  private closed = false;

  constructor(
    private readonly stages: AiStageSpec[],
    private readonly width: number,
    private readonly out: PageEdgeAi[],
  ) {
    const generator = new MediaStreamTrackGenerator({ kind: 'video' });
    this.track = generator;
    this.writer = generator.writable.getWriter();
  }

  /** Loads the models (the face detector's weights) before the first frame. */
  async load(): Promise<void> {
    for (const stage of this.stages) {
      const model = stage.model;
      if ('synthetic' in model) {
        const sample = syntheticSampler(model.synthetic);
        this.runners.push({
          name: stage.name,
          run: async (frame) => {
            await preciseWait(sample());
            return frame;
          },
        });
      } else if ('detector' in model) {
        this.runners.push({ name: stage.name, run: this.faceDetector(await loadFaceApi()) });
      } else throw new Error(`stage ${stage.name}: only synthetic models and detector: face run at the edge`);
    }
  }

  /** Detects faces on the frame and draws their boxes below the marker strip (the strip stays readable). */
  private faceDetector(faceapi: FaceApi): StageRunner {
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2d context for the face detector');
    const options = new faceapi.TinyFaceDetectorOptions({ inputSize: 160, scoreThreshold: 0.5 });
    const { stripHeight } = markerLayout(this.width);
    return async (frame) => {
      canvas.width = frame.displayWidth;
      canvas.height = frame.displayHeight;
      ctx.drawImage(frame, 0, 0);
      const faces = await faceapi.detectAllFaces(canvas, options);
      ctx.strokeStyle = '#0f0';
      ctx.lineWidth = 2;
      for (const { box } of faces) {
        const y = Math.max(stripHeight + 1, box.y);
        ctx.strokeRect(box.x, y, box.width, box.height - (y - box.y));
      }
      const output = new VideoFrame(canvas, { timestamp: frame.timestamp });
      frame.close();
      return output;
    };
  }

  /** A frame drawn at `captureMs` (frame key `f`); it goes out through `track` once processed. */
  submit(frame: VideoFrame, f: string, captureMs: number): void {
    if (this.closed) {
      frame.close();
      return;
    }
    if (this.waiting) {
      this.waiting.frame.close();
      this.out.push({ f: this.waiting.f, readyMs: this.waiting.captureMs, outcome: 'dropped' });
    }
    this.waiting = { frame, f, captureMs };
    void this.next();
  }

  private async next(): Promise<void> {
    if (this.busy || !this.waiting) return;
    const { frame, f, captureMs } = this.waiting;
    this.waiting = undefined;
    this.busy = true;
    const takenMs = nowMs();
    const record: PageEdgeAi = { f, readyMs: captureMs, outcome: 'done', queueMs: takenMs - captureMs, stages: {} };
    let current = frame;
    try {
      for (const runner of this.runners) {
        const start = nowMs();
        current = await runner.run(current);
        (record.stages ??= {})[runner.name] = nowMs() - start;
      }
      record.hookMs = nowMs() - captureMs;
      if (this.closed) current.close();
      else {
        await this.writer.write(current);
        this.onSourced(f, captureMs);
      }
    } catch (error) {
      current.close();
      record.outcome = 'failed';
      record.reason = String(error);
    }
    this.out.push(record);
    this.busy = false;
    void this.next();
  }

  close(): void {
    this.closed = true;
    this.waiting?.frame.close();
    this.waiting = undefined;
    void this.writer.close().catch(() => undefined);
  }
}
