/** Metric records that leave the collector: one per received frame, and process resource samples. */

/** One received frame with every stage time known for it (design.md section 4). Absent = not measured. */
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
  unattributedMs?: number;
  uplinkMs?: number;
  sfuMs?: number;
  downlinkMs?: number;
  /** AI hook (cloud): ready -> a worker took it, each stage's time, ready -> output, which device ran it */
  aiQueueMs?: number;
  aiStagesMs?: Record<string, number>;
  aiHookMs?: number;
  aiDevice?: string;
  /** tap mode: this receiver got the frame's AI result over the DataChannel */
  aiResultMs?: number;
  identityLost?: true;
  /** captured before every peer had connected: recorded, but kept out of the metrics */
  warmup?: true;
}

export type Tags = Record<string, string>;
