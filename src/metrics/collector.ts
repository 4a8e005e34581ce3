/**
 * Joins what publishers, the SFU and subscribers report about each frame into one FrameRecord per received
 * frame, feeds the metric series, and counts lost frames. Records from different processes arrive in any
 * order, so a frame is finalised only once it is older than the loss window plus a margin for delivery.
 */
import type { StageRecord } from '../../reference-server/sfu/types.js';
import type { ReceivedFrameRecord, SentFrameRecord, SubscriptionWindow } from '../peers/types.js';
import { MetricSeries } from './series.js';
import type { FrameRecord, Tags } from './types.js';

/** A frame not received within this long after capture is lost (design.md section 4). */
export const LOSS_WINDOW_MS = 2000;
/** Extra wait for records to arrive from other processes before a frame is judged. */
const DELIVERY_MARGIN_MS = 1000;
/** A subscription counts frames captured from this long after it connected (frames in flight at join). */
const JOIN_MARGIN_MS = 100;

export interface PeerInfo {
  room: string;
  kind: string;
}

interface FrameState {
  key: string;
  firstSeenMs: number;
  sent?: SentFrameRecord;
  sfuInMs?: number;
  sfuOut?: Map<string, number>;
  receipts: ReceivedFrameRecord[];
}

export class FrameCollector {
  private readonly frames = new Map<string, FrameState>();
  private readonly windows: SubscriptionWindow[] = [];
  /** frames received per subscription inside the measurement window */
  private readonly receivedPerSession = new Map<string, number>();
  /** peer id of each publisher tag */
  private readonly publisherByTag = new Map<number, string>();
  framesFinalised = 0;
  /**
   * Start of the measurement window (every peer connected). Frames captured before it are connection
   * warm-up: written to the sinks marked `warmup`, kept out of the metrics. Until set, everything is warm-up.
   */
  measureFromMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly series: MetricSeries,
    private readonly peers: Map<string, PeerInfo>,
    private readonly onRecord: (record: FrameRecord) => void,
  ) {}

  /**
   * Opens the measurement window at `ms`, or once the last subscription has been open for the join
   * margin, whichever is later: so every frame in the window is expected by every subscription.
   */
  startMeasuring(ms: number): void {
    const lastJoinMs = Math.max(Number.NEGATIVE_INFINITY, ...this.windows.map((w) => w.startMs + JOIN_MARGIN_MS));
    this.measureFromMs = Math.max(ms, lastJoinMs);
  }

  registerPublisher(tag: number, peerId: string): void {
    this.publisherByTag.set(tag, peerId);
  }

  addWindow(window: SubscriptionWindow): void {
    const existing = this.windows.find((w) => w.sub === window.sub);
    if (existing) Object.assign(existing, window);
    else this.windows.push({ ...window });
  }

  private state(key: string, nowMs: number): FrameState {
    let state = this.frames.get(key);
    if (!state) {
      state = { key, firstSeenMs: nowMs, receipts: [] };
      this.frames.set(key, state);
    }
    return state;
  }

  onSent(record: SentFrameRecord, nowMs: number): void {
    this.state(record.f, nowMs).sent = record;
  }

  onStage(record: StageRecord, nowMs: number): void {
    if (record.k === 'in') {
      this.state(record.f, nowMs).sfuInMs ??= record.ms;
    } else if (record.k === 'out') {
      const state = this.state(record.f, nowMs);
      state.sfuOut ??= new Map();
      if (!state.sfuOut.has(record.sub)) state.sfuOut.set(record.sub, record.ms);
    }
  }

  onReceived(record: ReceivedFrameRecord, nowMs: number): void {
    if (record.receivedMs >= this.measureFromMs) this.receivedPerSession.set(record.sub, (this.receivedPerSession.get(record.sub) ?? 0) + 1);
    if (record.f === undefined) {
      this.emitIdentityLost(record);
      return;
    }
    this.state(record.f, nowMs).receipts.push(record);
  }

  /** Judges every frame first seen before `nowMs - loss window - margin` (or all, with `all`). */
  finalise(nowMs: number, all = false): void {
    const cutoff = nowMs - LOSS_WINDOW_MS - DELIVERY_MARGIN_MS;
    for (const [key, state] of this.frames) {
      if (!all && state.firstSeenMs > cutoff) break; // Map keeps insertion order: the rest are newer
      this.frames.delete(key);
      this.judge(state);
    }
  }

  private judge(state: FrameState): void {
    this.framesFinalised += 1;
    const publisherTag = Number(state.key.split(':')[0]);
    const publisher = this.publisherByTag.get(publisherTag) ?? state.sent?.peer;
    const room = (publisher ? this.peers.get(publisher)?.room : undefined) ?? '';
    const captureMs = state.sent?.captureMs ?? state.receipts[0]?.captureMs;
    const warmup = captureMs === undefined || captureMs < this.measureFromMs;
    const received = new Set<string>();
    for (const receipt of state.receipts) {
      received.add(receipt.sub);
      this.emitReceived(state, receipt, publisher, room, warmup);
    }
    if (warmup || !state.sent) return; // never sent by a publisher of this run: nothing to expect
    this.series.add('frames_sent', { room, publisher: state.sent.peer });
    for (const window of this.windows) {
      if (window.publisherTag !== publisherTag || received.has(window.sub)) continue;
      if (captureMs < window.startMs + JOIN_MARGIN_MS) continue;
      if (window.endMs !== undefined && captureMs > window.endMs - LOSS_WINDOW_MS) continue;
      const info = this.peers.get(window.peer);
      this.series.add('frames_lost', this.frameTags(room, publisher, window.peer, info?.kind));
    }
  }

  private frameTags(room: string, publisher: string | undefined, subscriber: string, kind: string | undefined): Tags {
    return { room, publisher: publisher ?? '', subscriber, peer_kind: kind ?? 'synthetic' };
  }

  private emitReceived(state: FrameState, receipt: ReceivedFrameRecord, publisher: string | undefined, room: string, warmup: boolean): void {
    const info = this.peers.get(receipt.peer);
    const tags = this.frameTags(room, publisher, receipt.peer, info?.kind);
    const record: FrameRecord = {
      frameId: state.key,
      room,
      subscriber: receipt.peer,
      session: receipt.sub,
      peerKind: info?.kind ?? 'synthetic',
      keyframe: receipt.keyframe,
      bytes: receipt.bytes,
      receivedMs: receipt.receivedMs,
    };
    if (publisher) record.publisher = publisher;
    const sent = state.sent;
    const captureMs = sent?.captureMs ?? receipt.captureMs;
    const sfuOutMs = state.sfuOut?.get(receipt.sub);
    if (captureMs !== undefined) record.captureMs = captureMs;
    if (sent) record.sentMs = sent.sentMs;
    if (state.sfuInMs !== undefined) record.sfuInMs = state.sfuInMs;
    if (sfuOutMs !== undefined) record.sfuOutMs = sfuOutMs;
    if (captureMs !== undefined) record.frameLatencyMs = receipt.receivedMs - captureMs;
    if (sent && state.sfuInMs !== undefined) record.uplinkMs = state.sfuInMs - sent.sentMs;
    if (state.sfuInMs !== undefined && sfuOutMs !== undefined) record.sfuMs = sfuOutMs - state.sfuInMs;
    if (sfuOutMs !== undefined) record.downlinkMs = receipt.receivedMs - sfuOutMs;
    if (warmup) {
      record.warmup = true;
      this.onRecord(record);
      return;
    }
    this.series.add('frames_received', tags);
    if (record.frameLatencyMs !== undefined) this.series.record('frame_latency_ms', record.frameLatencyMs, tags);
    if (record.uplinkMs !== undefined) this.series.record('uplink_ms', record.uplinkMs, tags);
    if (record.sfuMs !== undefined) this.series.record('sfu_ms', record.sfuMs, tags);
    if (record.downlinkMs !== undefined) this.series.record('downlink_ms', record.downlinkMs, tags);
    this.onRecord(record);
  }

  private emitIdentityLost(receipt: ReceivedFrameRecord): void {
    const info = this.peers.get(receipt.peer);
    const window = this.windows.find((w) => w.sub === receipt.sub);
    const publisher = window ? this.publisherByTag.get(window.publisherTag) : undefined;
    const tags = this.frameTags(info?.room ?? '', publisher, receipt.peer, info?.kind);
    const warmup = receipt.receivedMs < this.measureFromMs;
    if (!warmup) {
      this.series.add('frames_received', tags);
      this.series.add('identity_lost', tags);
    }
    const record: FrameRecord = {
      room: info?.room ?? '',
      subscriber: receipt.peer,
      session: receipt.sub,
      peerKind: info?.kind ?? 'synthetic',
      keyframe: receipt.keyframe,
      bytes: receipt.bytes,
      receivedMs: receipt.receivedMs,
      identityLost: true,
    };
    if (warmup) record.warmup = true;
    if (publisher) record.publisher = publisher;
    this.onRecord(record);
  }

  /** One fps sample per subscription over its window (call once, at the end). */
  recordFps(endMs: number): void {
    for (const window of this.windows) {
      const durationS = (Math.min(window.endMs ?? endMs, endMs) - Math.max(window.startMs, this.measureFromMs)) / 1000;
      if (durationS <= 0) continue;
      const info = this.peers.get(window.peer);
      const publisher = this.publisherByTag.get(window.publisherTag);
      const tags = this.frameTags(info?.room ?? '', publisher, window.peer, info?.kind);
      this.series.record('fps_received', (this.receivedPerSession.get(window.sub) ?? 0) / durationS, tags);
    }
  }

  get pendingFrames(): number {
    return this.frames.size;
  }
}
