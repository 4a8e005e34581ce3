/**
 * The shape of one row of the metric catalogue (catalogue.ts): what a metric is, what one of its samples stands
 * for, which record field carries it and which InfluxDB field it is written to. The rows themselves are in
 * catalogue-frame-path.ts and catalogue-ai-system.ts.
 */
import type { ReceivedFrameRecord, StatsSample } from '../protocol/runner-ipc.js';
import type { FrameRecord, SpeechSampleRecord } from './types.js';

export type MetricKind =
  /** a distribution of samples, summarised from an HDR histogram */
  | 'trend'
  /** a count of events; its `rate` is per second of the measured window */
  | 'counter'
  /** k6's Rate: each sample is a yes or a no; its `rate` is the fraction of yeses (0..1), `count` the samples */
  | 'rate';

export type MetricUnit = 'ms' | 'count' | 'pct' | 'mb' | 'fps' | 'kbps' | 'ratio' | 'db';

/**
 * What one sample (or one count) stands for. Compare's bootstrap and the report count samples by it: a frame's AI
 * times once per frame however many receivers got it, a receiver's latency once per receipt.
 */
export type MetricScope =
  /** one frame at one receiver (a FrameRecord) */
  | 'receipt'
  /** one expected (frame, receiver) pair: the frame accounting's unit */
  | 'pair'
  /** one frame, however many receivers got it */
  | 'frame'
  /** one utterance of the translation chain, however many receivers heard it */
  | 'utterance'
  /** one utterance at one receiver */
  | 'listener'
  /** one subscription over its whole window */
  | 'subscription'
  /** one second of one receiver, process, device or of the run */
  | 'second'
  /** one call of an arrival-rate executor */
  | 'call';

/**
 * The AI hook's stages, each with its own trend `ai_<stage>_ms` (the scenario names the first three; `transfer`
 * is an external worker's socket time, both ways).
 */
export type AiStageName = 'decode' | 'inference' | 'encode' | 'transfer';

/** Keys of `T` whose values are numbers. */
type NumberKey<T> = { [K in keyof T]-?: NonNullable<T[K]> extends number ? K : never }[keyof T] & string;

/**
 * The record field that holds each sample of a metric, where one does: the sinks, compare and the report read
 * samples back by it. A metric counted from events (frames_lost) or derived from two fields has none.
 */
export type MetricField =
  /** a FrameRecord (frames.ndjson.gz, InfluxDB `frame`) */
  | { record: 'FrameRecord'; key: NumberKey<FrameRecord> }
  /** one AI stage's time in FrameRecord.aiStagesMs */
  | { record: 'FrameRecord'; key: 'aiStagesMs'; stage: AiStageName }
  /** a speech record (frames.ndjson.gz `kind: 'speech'`, InfluxDB `speech`) */
  | { record: 'SpeechSampleRecord'; key: NumberKey<SpeechSampleRecord> }
  /** one second of a receiver's WebRTC stats (InfluxDB `webrtc`); a counter's sample is the increment */
  | { record: 'StatsSample'; key: NumberKey<StatsSample> }
  /** what a receiver reported about one frame, before the collector joined it into a FrameRecord */
  | { record: 'ReceivedFrameRecord'; key: NumberKey<ReceivedFrameRecord> };

/** The InfluxDB measurements that carry per-sample points (every metric also has its `summary` point). */
export type InfluxMeasurement = 'frame' | 'speech' | 'webrtc' | 'resources';

export interface MetricRow {
  /** the metric's name in summary.json, thresholds, compare, the report and InfluxDB's `summary` points */
  name: string;
  kind: MetricKind;
  unit: MetricUnit;
  /** what one sample (or one count) stands for */
  scope: MetricScope;
  /** which way is an improvement */
  better: 'lower' | 'higher' | 'zero';
  /**
   * compare's tolerance for this metric when `--tolerance` names none: for metrics on a scale where the default
   * (5% or 5 in the metric's unit) would hide every change (video_ssim lies in 0..1)
   */
  tolerance?: { pct: number; abs: number };
  /** start -> end, or what is counted */
  definition: string;
  /** tags its samples carry, usable as threshold filters */
  tags: readonly string[];
  /** where it is measured: the record field of each sample, when a record carries it */
  field?: MetricField;
  /** the field of its per-sample InfluxDB points, when it has such points */
  influx?: { measurement: InfluxMeasurement; field: string };
}

/** Tags of a sample at a receiver. */
export const FRAME_TAGS = ['room', 'publisher', 'subscriber', 'peer_kind'] as const;
/** Tags of a sample per frame at the SFU, before it fans out to receivers. */
export const AI_TAGS = ['room', 'publisher'] as const;
/** Tags of a publisher's sample. */
export const PUBLISHER_TAGS = ['room', 'publisher'] as const;
