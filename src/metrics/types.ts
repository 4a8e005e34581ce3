/** Metric records that leave the collector: one per received frame, and process resource samples. */
import type { IdentityMethod } from '../protocol/frame-key.js';

/** One received frame with every stage time known for it (docs/metrics.md). Absent = not measured. */
export interface FrameRecord {
  /** frame key `publisherTag:frameSeq`; absent when the receiver could not read the identity */
  frameId?: string;
  room: string;
  publisher?: string;
  /** receiving peer id */
  subscriber: string;
  /** the SFU's session id of the subscription */
  session: string;
  peerKind: string;
  keyframe: boolean;
  bytes: number;
  captureMs?: number;
  sentMs?: number;
  sfuInMs?: number;
  sfuOutMs?: number;
  /** frame complete at the receiver; browsers: when Chromium reports the encoded frame received */
  receivedMs?: number;
  /** browsers: the decoded frame was readable in the page */
  renderedMs?: number;
  frameLatencyMs?: number;
  g2gLatencyMs?: number;
  renderMs?: number;
  uplinkMs?: number;
  sfuMs?: number;
  downlinkMs?: number;
  /** A/V sync marker frames: the marker's audio onset minus this frame's receipt (receivedMs, browsers too), ms */
  avSyncMs?: number;
  /** AI hook (cloud): ready -> a worker took it, each stage's time, ready -> output, which device ran it */
  aiQueueMs?: number;
  aiStagesMs?: Record<string, number>;
  aiHookMs?: number;
  aiDevice?: string;
  /** an external worker's batch: calls in it, and the wait in the worker for it to start */
  aiBatchSize?: number;
  aiBatchWaitMs?: number;
  /** tap mode: this receiver got the frame's AI result over the DataChannel */
  aiResultMs?: number;
  /** luma PSNR (dB) and SSIM of the decoded frame against the regenerated original, when the receiver scored it */
  videoPsnrDb?: number;
  videoSsim?: number;
  /** how the frame was named at this receiver (docs/architecture.md section 2); absent with identityLost */
  identity?: IdentityMethod;
  identityLost?: true;
  /** reached the receiver after the 2 s loss window: counted in frames_late, not frames_received (nor lost) */
  late?: true;
  /** browsers: complete at the receiver, but the page's track reader never got the decoded frame */
  discarded?: true;
  /** the gap before this frame at this receiver was a freeze this long, ms (freeze_count, freeze_ms; freezes.ts) */
  freezeMs?: number;
  /** captured before every peer had connected: recorded, but kept out of the metrics */
  warmup?: true;
  /** the scenario variant that produced it */
  variant?: string;
}

/**
 * One utterance as one receiver got it (the translation chain): a line of `frames.ndjson.gz` marked
 * `kind: 'speech'`, and a point of the InfluxDB `speech` measurement. The chain's times are the same for every
 * receiver of the utterance; the subtitle and translated-speech latencies are this receiver's.
 */
export interface SpeechSampleRecord {
  kind: 'speech';
  room: string;
  publisher: string;
  /** receiving peer id and the SFU's session id of its subscription; absent when nobody subscribed */
  subscriber?: string;
  session?: string;
  peerKind?: string;
  /** the utterance played (utterances.ndjson id) and the SFU chain's number for it */
  utterance: string;
  n: number;
  text: string;
  recognised: string;
  translation: string;
  utteranceEndMs: number;
  asrMs?: number;
  mtMs?: number;
  ttsTtfbMs?: number;
  werPct?: number;
  subtitleLatencyMs?: number;
  s2sLatencyMs?: number;
  /** before every peer had connected: recorded, but kept out of the metrics */
  warmup?: true;
  variant?: string;
}

export type Tags = Record<string, string>;
