/**
 * Joins what publishers, the SFU and subscribers report about each frame into one FrameRecord per received
 * frame, feeds the metric series, and counts lost frames. Records from different processes arrive in any
 * order, so a frame is finalised only once it is older than the loss window plus a margin for delivery.
 */
import type { AiFrameRecord } from '../protocol/ai.js';
import type {
  AiResultRecord,
  ReceivedFrameRecord,
  SentFrameRecord,
  SkippedFrameRecord,
  StatsSample,
  SubscriptionWindow,
} from '../protocol/runner-ipc.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';
import { FrameAccountant, LATE_HORIZON_MS, LOSS_WINDOW_MS } from './accounting.js';
import { FrameMetrics, frameRecordOf, identityLostRecordOf, type PeerInfo } from './frame-metrics.js';
import { arrivalOf, type FrameState } from './frame-state.js';
import { identityOf, IdentityTally } from './identity.js';
import { RtpJoin } from './rtp-join.js';
import { RtpNaming } from './rtp-naming.js';
import type { MetricSeries } from './series.js';
import { Subscriptions } from './subscriptions.js';
import type { FrameRecord } from './types.js';

export { LOSS_WINDOW_MS } from './accounting.js';
export type { PeerInfo } from './frame-metrics.js';

/** Extra wait for records to arrive from other processes before a frame is judged. */
const DELIVERY_MARGIN_MS = 1000;

export class FrameCollector {
  private readonly frames = new Map<string, FrameState>();
  /** frames judged within the late horizon: a receipt for one of them settles a provisional loss */
  private readonly judged = new Map<string, FrameState>();
  readonly accounting: FrameAccountant;
  private readonly subscriptions = new Subscriptions();
  /** peer id of each publisher tag */
  private readonly publisherByTag = new Map<number, string>();
  /** frames without a frame-id extension (browser publishers), known by their RTP timestamp */
  private readonly rtp = new RtpJoin();
  /** receipts without a frame id, named through their subscription's RTP timestamp offset */
  private readonly rtpNaming = new RtpNaming(this.rtp, {
    publisherTagOf: (sub) => this.subscriptions.get(sub)?.publisherTag,
    receive: (receipt, key, nowMs) => this.receive(receipt, key, nowMs),
    lost: (receipt) => this.emitIdentityLost(receipt),
  });
  /** how each subscription's receipts were named (summary.identity) */
  readonly identity = new IdentityTally();
  framesFinalised = 0;
  /** inference budget: frames over it count in frames_over_budget, ms */
  aiBudgetMs = 30;
  /**
   * Start of the measurement window (every peer connected). Frames captured before it are connection
   * warm-up: written to the sinks marked `warmup`, kept out of the metrics (in `warmupSeries`). Until set, everything
   * is warm-up.
   */
  measureFromMs = Number.POSITIVE_INFINITY;
  /**
   * End of the measurement window: the instant every publisher's timetable ended. A frame captured at or after it
   * (a publisher that heard of the stop late) is kept out of the metrics and the accounting like a warm-up frame.
   */
  measureUntilMs = Number.POSITIVE_INFINITY;
  /** the samples of judged frames: the run's series, or (warm-up) one thrown away */
  private readonly metrics: FrameMetrics;

  constructor(
    readonly series: MetricSeries,
    private readonly peers: Map<string, PeerInfo>,
    private readonly onRecord: (record: FrameRecord) => void,
  ) {
    this.accounting = new FrameAccountant(series);
    this.metrics = new FrameMetrics(series, peers);
  }

  /**
   * Opens the measurement window at `ms`, or once the last subscription has been open for the join
   * margin, whichever is later: so every frame in the window is expected by every subscription.
   */
  startMeasuring(ms: number): void {
    this.measureFromMs = Math.max(ms, this.subscriptions.lastJoinMs);
  }

  registerPublisher(tag: number, peerId: string, streamId?: string): void {
    this.publisherByTag.set(tag, peerId);
    if (streamId) this.rtp.registerStream(tag, streamId);
  }

  addWindow(window: SubscriptionWindow): void {
    this.subscriptions.add(window);
  }

  /**
   * The frame's state: waiting to be judged, or judged within the late horizon (records that come late attach there).
   */
  private state(key: string, nowMs: number): FrameState {
    let state = this.frames.get(key) ?? this.judged.get(key);
    if (!state) {
      state = { key, firstSeenMs: nowMs, receipts: [] };
      this.frames.set(key, state);
    }
    return state;
  }

  onSent(record: SentFrameRecord, nowMs: number): void {
    // the publisher's record of a frame already judged without it (its receipts waited past the late horizon):
    // judging it again would expect it anew at receivers whose copies were already written; it is counted as stale
    if (this.judged.has(record.f)) {
      this.accounting.stale();
      return;
    }
    const state = this.state(record.f, nowMs);
    state.sent = record;
    const tag = Number(record.f.split(':')[0]);
    if (record.rtpTs !== undefined) this.rtpNaming.sent(tag, record.rtpTs, record.bytes);
    const key = this.rtp.keyOf(tag, record.rtpTs);
    if (key) for (const receipt of this.rtp.named(key, record.f, nowMs)) this.receive(receipt, record.f, nowMs);
  }

  /**
   * A frame due on a publisher's timetable that was not sent: counted in frames_skipped (and, dropped by a
   * browser's encoder, in frames_dropped_encoder) when it was due inside the measurement window. Never expected
   * at any receiver, so never lost.
   */
  onSkipped(record: SkippedFrameRecord): void {
    const warmup = !this.inWindow(record.captureMs);
    if (!warmup) this.accounting.skipped();
    this.metrics.skipped(record, warmup);
  }

  onTelemetry(record: TelemetryRecord, nowMs: number): void {
    if (record.k === 'ai') {
      const known = record.f.startsWith('rtp:') ? this.rtp.frameOf(record.f) : record.f;
      const judged = known ? this.judged.get(known) : undefined;
      if (judged) this.lateAi(judged, record);
      else if (known) this.state(known, nowMs).ai = record;
      else this.rtp.stagesFor(record.f, nowMs).ai = record;
      return;
    }
    if ((record.k === 'in' || record.k === 'out') && this.rtp.stage(record, nowMs)) return;
    if (record.k === 'in') {
      this.state(record.f, nowMs).sfuInMs ??= record.ms;
    } else if (record.k === 'out') {
      const state = this.state(record.f, nowMs);
      state.sfuOut ??= new Map();
      if (!state.sfuOut.has(record.sub)) state.sfuOut.set(record.sub, record.ms);
    }
  }

  /** The subscriptions (connected) to the publisher with this tag. */
  subscriptionsOf(publisherTag: number): SubscriptionWindow[] {
    return this.subscriptions.of(publisherTag);
  }

  /** The publisher tag a subscription receives (known once it connected). */
  publisherTagOf(sub: string): number | undefined {
    return this.subscriptions.get(sub)?.publisherTag;
  }

  onAiResult(record: AiResultRecord, nowMs: number): void {
    const state = this.state(record.f, nowMs);
    (state.aiResults ??= []).push(record);
    // a result for a frame judged already: its latency is recorded now, as judging would have
    if (state.judgedMs !== undefined && state.sent && this.inWindow(state.captureMs)) {
      const room = this.peers.get(state.sent.peer)?.room ?? '';
      this.series.record(
        'ai_result_latency_ms',
        record.receivedMs - (state.captureMs as number),
        this.metrics.receiverTags(room, state.sent.peer, record.peer),
      );
    }
  }

  /**
   * What the AI hook did with a frame, told after the frame was judged (a queue that waited longer than the loss
   * window): its AI times count now, and a frame the hook dropped or failed was never forwarded, so the receivers
   * still without it did not lose it.
   */
  private lateAi(state: FrameState, ai: AiFrameRecord): void {
    if (state.ai || !state.sent) return;
    state.ai = ai;
    const measured = this.inWindow(state.captureMs);
    const room = this.peers.get(state.sent.peer)?.room ?? '';
    this.metrics.ai(ai, { room, publisher: state.sent.peer }, this.metrics.seriesFor(!measured), this.aiBudgetMs);
    if (ai.outcome === 'done' || !measured) return;
    const publisherTag = Number(state.key.split(':')[0]);
    for (const window of this.subscriptions.of(publisherTag)) this.accounting.withdraw(state.key, window.sub);
  }

  onReceived(record: ReceivedFrameRecord, nowMs: number): void {
    this.subscriptions.onReceipt(record, this.measureFromMs);
    if (record.f !== undefined) this.receive(record, record.f, nowMs);
    else if (record.rtpTs === undefined) this.emitIdentityLost(record);
    else this.rtpNaming.name(record as ReceivedFrameRecord & { rtpTs: number }, nowMs);
  }

  /** Whether a frame captured at `captureMs` is measured (inside the window), rather than warm-up or after the stop. */
  private inWindow(captureMs: number | undefined): boolean {
    return captureMs !== undefined && captureMs >= this.measureFromMs && captureMs < this.measureUntilMs;
  }

  /** A receipt of frame `key`: kept until the frame is judged, or settled against a frame judged already. */
  private receive(record: ReceivedFrameRecord, key: string, nowMs: number): void {
    const judged = this.judged.get(key);
    if (!judged) {
      const captureMs = record.captureMs;
      // a frame judged so long ago that it left the late horizon: its pair stays lost, the receipt is counted
      if (
        !this.frames.has(key) &&
        captureMs !== undefined &&
        nowMs - captureMs > LOSS_WINDOW_MS + DELIVERY_MARGIN_MS + LATE_HORIZON_MS
      ) {
        this.accounting.stale();
        return;
      }
      this.state(key, nowMs).receipts.push(key === record.f ? record : { ...record, f: key });
      return;
    }
    const captureMs = judged.captureMs;
    const { publisher, room } = this.sourceOf(judged);
    if (judged.receivedSubs?.has(record.sub)) {
      // a second copy of a frame this receiver has: counted once, the copy only in frames_duplicated
      this.metrics.duplicate(this.metrics.receiverTags(room, publisher, record.peer), !this.inWindow(captureMs));
      return;
    }
    judged.receivedSubs?.add(record.sub);
    const receipt = key === record.f ? record : { ...record, f: key };
    const outcome = FrameAccountant.outcomeOf(captureMs === undefined ? undefined : arrivalOf(record) - captureMs);
    this.accounting.settle(key, record.sub, outcome, record.discarded === true);
    this.emitReceived(judged, receipt, publisher, room, !this.inWindow(captureMs), outcome === 'late');
  }

  /** Judges every frame first seen before `nowMs - loss window - margin` (or all, with `all`). */
  finalise(nowMs: number, all = false): void {
    const cutoff = nowMs - LOSS_WINDOW_MS - DELIVERY_MARGIN_MS;
    const orphanCutoff = cutoff - LATE_HORIZON_MS;
    for (const [key, state] of this.frames) {
      if (!all && state.firstSeenMs > cutoff) break; // Map keeps insertion order: the rest are newer
      // receipts whose publisher's record has not come yet (a busy harness): wait for it, up to the late horizon
      if (!all && !state.sent && state.firstSeenMs > orphanCutoff) continue;
      this.frames.delete(key);
      this.judge(state, nowMs);
    }
    this.accounting.expire(nowMs, all);
    const judgedCutoff = all ? Number.POSITIVE_INFINITY : nowMs - LATE_HORIZON_MS;
    for (const [key, state] of this.judged) {
      if ((state.judgedMs ?? 0) > judgedCutoff) break;
      this.judged.delete(key);
    }
    this.rtpNaming.sweep(nowMs, orphanCutoff, all);
    for (const receipt of this.rtp.expire(nowMs, cutoff, all)) this.emitIdentityLost(receipt);
  }

  private judge(state: FrameState, nowMs: number): void {
    this.framesFinalised += 1;
    const publisherTag = Number(state.key.split(':')[0]);
    const { publisher, room } = this.sourceOf(state);
    // edge AI records come from the publisher's page, stamped when the frame was drawn
    const edge = state.ai?.device === 'browser' ? state.ai : undefined;
    const captureMs = state.sent?.captureMs ?? state.receipts[0]?.captureMs ?? edge?.readyMs;
    const warmup = !this.inWindow(captureMs);
    // one receipt per receiver (a second copy of a frame is not a second frame): the first to arrive
    const firstBySub = new Map<string, ReceivedFrameRecord>();
    for (const receipt of state.receipts) {
      const held = firstBySub.get(receipt.sub);
      if (held) this.metrics.duplicate(this.metrics.receiverTags(room, publisher, receipt.peer), warmup);
      if (!held || arrivalOf(receipt) < arrivalOf(held)) firstBySub.set(receipt.sub, receipt);
    }
    const outcomes = new Map<string, 'received' | 'late'>();
    for (const receipt of firstBySub.values()) {
      const outcome = FrameAccountant.outcomeOf(captureMs === undefined ? undefined : arrivalOf(receipt) - captureMs);
      outcomes.set(receipt.sub, outcome);
      this.emitReceived(state, receipt, publisher, room, warmup, outcome === 'late');
    }
    // kept for the late horizon: a receipt that comes later settles this frame's provisional losses
    state.receipts = [];
    state.receivedSubs = new Set(firstBySub.keys());
    state.judgedMs = nowMs;
    if (captureMs !== undefined) state.captureMs = captureMs;
    this.judged.set(state.key, state);
    if (captureMs === undefined) return;
    const series = this.metrics.seriesFor(warmup);
    if (!state.sent) {
      // a frame the page's edge AI dropped before its encoder was never sent, but it was dropped: count it
      if (edge && edge.outcome !== 'done')
        this.metrics.ai(edge, { room, publisher: edge.pub }, series, this.aiBudgetMs);
      return; // otherwise never sent by a publisher of this run: nothing to expect
    }
    series.add('frames_sent', { room, publisher: state.sent.peer });
    // open-loop sending: captureMs is the frame's place on the timetable, sentMs when it was handed to RTP
    if (this.peers.get(state.sent.peer)?.kind !== 'browser')
      series.record('send_lag_ms', state.sent.sentMs - state.sent.captureMs, { room, publisher: state.sent.peer });
    for (const result of state.aiResults ?? [])
      series.record(
        'ai_result_latency_ms',
        result.receivedMs - captureMs,
        this.metrics.receiverTags(room, publisher, result.peer),
      );
    const ai = state.ai ?? this.rtpEntryOf(state)?.ai;
    if (ai) {
      const tags = { room, publisher: state.sent.peer };
      this.metrics.ai(ai, tags, series, this.aiBudgetMs);
      if (ai.outcome !== 'done') return; // dropped or failed in the AI hook: not forwarded, so not lost
    }
    // every receiver subscribed for the frame's whole life expects it: received, late or (provisionally) lost
    for (const window of this.subscriptions.expecting(publisherTag, captureMs)) {
      const tags = this.metrics.receiverTags(room, publisher, window.peer);
      const outcome = outcomes.get(window.sub);
      if (warmup) {
        if (!outcome) series.add('frames_lost', tags);
      } else if (outcome) this.accounting.arrived(outcome, tags, firstBySub.get(window.sub)?.discarded === true);
      else this.accounting.missing(state.key, window.sub, tags, nowMs);
    }
  }

  /** The publisher of a frame (by its tag, or its own record) and the publisher's room. */
  private sourceOf(state: FrameState): { publisher: string | undefined; room: string } {
    const publisher = this.publisherByTag.get(Number(state.key.split(':')[0])) ?? state.sent?.peer;
    return { publisher, room: (publisher ? this.peers.get(publisher)?.room : undefined) ?? '' };
  }

  /** The SFU's rtp-keyed entry of a browser publisher's frame (no frame-id extension). */
  private rtpEntryOf(state: FrameState): { ai?: AiFrameRecord; sfuInMs?: number } | undefined {
    // only a browser publisher's frames carry no frame-id extension (a synthetic publisher's RTP timestamp is for
    // page receivers, the SFU names its frames by id): no lookup, no key string per receipt
    if (state.sent && this.peers.get(state.sent.peer)?.kind !== 'browser') return undefined;
    // the publisher's record of the RTP timestamp, or a receiver's (browsers read it from each decoded frame)
    const rtpTs = state.sent?.rtpTs ?? state.receipts.find((r) => r.rtpTs !== undefined)?.rtpTs;
    return this.rtp.stagesOf(this.rtp.keyOf(Number(state.key.split(':')[0]), rtpTs));
  }

  private emitReceived(
    state: FrameState,
    receipt: ReceivedFrameRecord,
    publisher: string | undefined,
    room: string,
    warmup: boolean,
    late: boolean,
  ): void {
    const sent = state.sent;
    let sfuInMs = state.sfuInMs;
    let sfuOutMs = state.sfuOut?.get(receipt.sub);
    if (sfuInMs === undefined) {
      // the SFU named the frame by the timestamp it got from the publisher (the receiver's may be rewritten)
      const key = this.rtp.keyOf(this.subscriptions.get(receipt.sub)?.publisherTag, sent?.rtpTs ?? receipt.rtpTs);
      const entry = this.rtp.stagesOf(key);
      sfuInMs = entry?.sfuInMs;
      sfuOutMs = entry?.sfuOut.get(receipt.sub);
    }
    const ai = state.ai ?? this.rtpEntryOf(state)?.ai;
    const aiResult = state.aiResults?.find((r) => r.sub === receipt.sub);
    const identity = identityOf(receipt, this.peers.get(receipt.peer)?.kind);
    if (!warmup) this.identity.named(receipt, identity, publisher);
    // a frame the receiver named itself (marker) gives its subscription's RTP timestamp offset
    if (receipt.f !== undefined && receipt.rtpTs !== undefined && sent?.rtpTs !== undefined)
      this.rtpNaming.named(receipt.sub, receipt.rtpTs, sent.rtpTs);
    const join = { key: state.key, room, publisher, sent, sfuInMs, sfuOutMs, ai, aiResult, warmup, late, identity };
    const record = frameRecordOf(receipt, join, this.peers);
    this.metrics.receipt(record, receipt, this.metrics.receiverTags(room, publisher, receipt.peer));
    this.onRecord(record);
  }

  private emitIdentityLost(receipt: ReceivedFrameRecord): void {
    const info = this.peers.get(receipt.peer);
    const window = this.subscriptions.get(receipt.sub);
    const publisher = window ? this.publisherByTag.get(window.publisherTag) : undefined;
    const warmup = arrivalOf(receipt) < this.measureFromMs;
    const tags = this.metrics.frameTags(info?.room ?? '', publisher, receipt.peer, info?.kind);
    this.metrics.identityLost(receipt, tags, warmup);
    if (!warmup) this.identity.lost(receipt, publisher);
    this.onRecord(identityLostRecordOf(receipt, info, publisher, warmup));
  }

  /** One second of a browser receiver's WebRTC stats. */
  onStats(peer: string, sample: StatsSample): void {
    this.metrics.stats(peer, sample, sample.ms < this.measureFromMs);
  }

  /** Closes the windows of a peer that failed mid-run: frames after this are not expected from it. */
  endWindows(peer: string, endMs: number): void {
    this.subscriptions.end(peer, endMs);
  }

  /** One fps and one time_to_first_frame_ms sample per subscription over its window (call once, at the end). */
  recordFps(endMs: number): void {
    for (const { window, fps, timeToFirstFrameMs: ttff } of this.subscriptions.fps(this.measureFromMs, endMs)) {
      const info = this.peers.get(window.peer);
      const publisher = this.publisherByTag.get(window.publisherTag);
      const tags = this.metrics.frameTags(info?.room ?? '', publisher, window.peer, info?.kind);
      this.series.record('fps_received', fps, tags);
      if (ttff !== undefined) this.series.record('time_to_first_frame_ms', ttff, tags);
    }
  }

  get pendingFrames(): number {
    return this.frames.size;
  }
}
