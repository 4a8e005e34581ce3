/**
 * The AI hook's contract (docs/architecture.md): what a scenario's `ai` block turns into, as the reference SFU
 * receives it, and the per-frame, per-device and per-utterance records it streams to the harness (telemetry).
 * Plain TypeScript: the harness, the page bundle and the server share it.
 */

/** A synthetic model: a service time per call, fixed or log-normal from its median and 99th percentile. */
export interface SyntheticModel {
  fixedMs?: number;
  p50Ms?: number;
  p99Ms?: number;
}

/**
 * What a stage runs: a synthetic model (a service time), or the real video path: `vp8` for decode and
 * encode (libvpx; `bitrateKbps` for the encoder), `filter` for inference (a CPU filter on the decoded pixels);
 * at the edge, `detector: face` runs a real face detector in the page (face-api's tiny face detector).
 */
/**
 * A real CPU filter of the video path (media/luma-filter.ts): a 3x3 box blur, Sobel edges, or `noise`, which adds
 * noise where it should change nothing (an AI that damages the picture, to calibrate video_psnr_db).
 */
export type VideoFilter = 'blur' | 'edges' | 'noise';
/** What a filter does to a frame's luma; `copy` leaves it as it is. */
export type LumaFilter = VideoFilter | 'copy';

export type StageModel =
  { synthetic: SyntheticModel } | { vp8: { bitrateKbps?: number } } | { filter: VideoFilter } | { detector: 'face' };

export interface AiStageSpec {
  /** `decode`, `inference` or `encode`; their times are `ai_<name>_ms` */
  name: string;
  model: StageModel;
}

/** Does this hook decode and re-encode real VP8 (decode and encode stages with `vp8` models)? */
export function isRealVideo(options: Pick<AiOptions, 'stages'>): boolean {
  return options.stages.some((s) => 'vp8' in s.model);
}

/** Does an external worker process the decoded pictures (the real video path, `format: i420`)? */
export function isExternalPicture(options: Pick<AiOptions, 'backend'>): boolean {
  return options.backend.type === 'external' && options.backend.format === 'i420';
}

/**
 * A device: simulated (service times are divided by `speed`), or a real GPU (`gpu` is its nvidia-smi index;
 * an external worker runs the calls there). It runs `concurrency` calls at once.
 */
export interface DeviceSpec {
  name: string;
  speed: number;
  concurrency: number;
  gpu?: number;
}

export type QueuePolicy = 'drop-oldest' | 'drop-newest' | 'block';

export interface AiOptions {
  /** `cloud`: in the reference SFU; `edge`: in each browser publisher's page, before encode */
  placement: 'none' | 'cloud' | 'edge';
  /** `inline` forwards what the AI returns; `tap` forwards the original at once and runs the AI on a copy */
  mode: 'inline' | 'tap';
  stages: AiStageSpec[];
  /** frames processed at once (the worker pool) */
  workers: number;
  queue: { max: number; policy: QueuePolicy };
  /** where stages run; default one simulated device as fast as the model says, one call per worker */
  devices: DeviceSpec[];
  /** `ai.devices: gpus`: the SFU replaces `devices` with one per NVIDIA GPU it finds (external worker only) */
  gpus?: boolean;
  /**
   * `in-process` or an external worker process over a Unix domain socket (protocol in worker-protocol.ts): it
   * gets each frame's VP8 (`vp8`, synthetic stages) or, on the real video path, the decoded picture (`i420`),
   * which it returns processed. `maxBatch`: the reference worker the SFU starts batches up to this many calls.
   * `callTimeoutMs`: a call unanswered this long fails (default 5000).
   */
  backend:
    | { type: 'in-process' }
    | { type: 'external'; socketPath?: string; format: 'vp8' | 'i420'; maxBatch?: number; callTimeoutMs?: number };
  /** inference budget: frames whose `ai_inference_ms` exceeds it count in `frames_over_budget`, ms */
  budgetMs: number;
  /** the translation chain on every published audio track: real engines or synthetic stand-ins (ms each) */
  speech?: SpeechOptions;
}

export interface SpeechOptions {
  /** subtitles over the DataChannel (option A), translated speech replacing the audio track (option B), or both */
  output: 'subtitles' | 'speech' | 'both';
  asr: { engine: 'pocketsphinx' } | { engine: 'synthetic'; ms: number };
  mt: { engine: 'apertium' } | { engine: 'synthetic'; ms: number };
  tts: { engine: 'espeak-ng' } | { engine: 'synthetic'; ms: number };
}

/** What happened to one video frame in the AI hook. */
export interface AiFrameRecord {
  k: 'ai';
  /** frame key (as in the `in` telemetry record) */
  f: string;
  pub: string;
  /** frame complete at the SFU */
  readyMs: number;
  outcome: 'done' | 'dropped' | 'failed';
  /** ready -> a worker took it */
  queueMs?: number;
  /** stage name -> ms */
  stages?: Record<string, number>;
  /** ready -> AI output ready */
  hookMs?: number;
  device?: string;
  /** an external worker's batch: calls in it, and the wait in the worker for it to start (worker-protocol.ts) */
  batch?: number;
  batchWaitMs?: number;
  reason?: string;
}

/** Each simulated (or real) device over the last second. */
export interface DeviceSample {
  name: string;
  /** busy share of its capacity (all concurrent slots), percent */
  utilisationPct: number;
  /** calls waiting for a free slot now */
  queueLength: number;
  /** calls run in the last second */
  calls: number;
  /** real GPUs: nvidia-smi's own utilisation and memory in use */
  gpuUtilisationPct?: number;
  memoryUsedMb?: number;
}

export interface AiDeviceRecord {
  k: 'dev';
  ms: number;
  devices: DeviceSample[];
}

/** What the chain did with one utterance (telemetry `k: 'speech'`). */
export interface SpeechRecord {
  k: 'speech';
  pub: string;
  /** utterance number on this publisher's audio, from 1 */
  n: number;
  /** first and last speech frame arrived at the SFU */
  speechStartMs: number;
  speechEndMs: number;
  /** the recogniser, translator and synthesiser finished / made their first audio */
  asrDoneMs?: number;
  mtDoneMs?: number;
  ttsFirstAudioMs?: number;
  text?: string;
  translation?: string;
  error?: string;
}

/** Option B: the first packet of utterance `n`'s translated speech went to the subscribers (telemetry `k: 'voice'`). */
export interface VoiceRecord {
  k: 'voice';
  pub: string;
  n: number;
  ms: number;
}
