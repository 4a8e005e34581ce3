/** What the page hands back to Node (polled with `glassbench.take()`); plain JSON. */
export interface PageSentFrame {
  f: string;
  captureMs: number;
}

export interface PageReceivedFrame {
  /** absent when the marker could not be read (identity lost) */
  f?: string;
  rtpTs?: number;
  /** frame complete at the receiver (encoded-frame receive time), when known */
  receivedMs?: number;
  /** decoded frame readable in the page: the glass */
  renderedMs: number;
  captureMs?: number;
  /** time the page spent reading this frame's marker (draw the strip, read pixels, decode), ms */
  markerReadMs?: number;
}

export interface PageStatsSample {
  ms: number;
  jitterMs?: number;
  packetLossPct?: number;
  bitrateKbps?: number;
  jitterBufferDelayMs?: number;
  decodeMs?: number;
  fps?: number;
  nackCount?: number;
  pliCount?: number;
  freezeCount?: number;
  freezeMs?: number;
}

export interface PageRecords {
  sent: PageSentFrame[];
  received: PageReceivedFrame[];
  stats: PageStatsSample[];
  errors: string[];
}

export interface PublisherOptions {
  publisherTag: number;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
}
