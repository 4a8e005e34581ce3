/**
 * What the collector records once it has joined a frame's records: the FrameRecord of one receipt (its stage
 * times from the joined stamps) and the metric samples of receipts, AI outcomes, skipped frames and stats
 * seconds. A measured frame's samples go to the run's series; a warm-up frame's to a series that is thrown away.
 */
import type { AiFrameRecord } from '../protocol/ai.js';
import type { IdentityMethod } from '../protocol/frame-key.js';
import type {
  AiResultRecord,
  ReceivedFrameRecord,
  SentFrameRecord,
  SkippedFrameRecord,
  StatsSample,
} from '../protocol/runner-ipc.js';
import {
  aiStageMetric,
  FRAME_RECEIPT_METRICS,
  RECEIVED_FIELD_METRICS,
  STATS_COUNTERS,
  STATS_TRENDS,
} from './catalogue.js';
import { MetricSeries } from './series.js';
import type { FrameRecord, Tags } from './types.js';

export interface PeerInfo {
  room: string;
  kind: string;
}

/** Everything known about one frame at the moment one of its receipts is recorded. */
export interface ReceiptJoin {
  /** frame key `publisherTag:frameSeq` */
  key: string;
  room: string;
  publisher?: string;
  sent?: SentFrameRecord;
  /** the SFU's stamps of this frame, towards this receipt's subscription */
  sfuInMs?: number;
  sfuOutMs?: number;
  ai?: AiFrameRecord;
  /** tap mode: this subscription's AI result of the frame */
  aiResult?: AiResultRecord;
  warmup: boolean;
  late: boolean;
  /** how the receipt's frame was named */
  identity?: IdentityMethod;
}

/** The FrameRecord of one receipt: its stamps and the stage times between them. */
export function frameRecordOf(
  receipt: ReceivedFrameRecord,
  join: ReceiptJoin,
  peers: ReadonlyMap<string, PeerInfo>,
): FrameRecord {
  const info = peers.get(receipt.peer);
  const record: FrameRecord = {
    frameId: join.key,
    room: join.room,
    subscriber: receipt.peer,
    session: receipt.sub,
    peerKind: info?.kind ?? 'synthetic',
    keyframe: receipt.keyframe,
    bytes: receipt.bytes,
  };
  const { publisher, sent, sfuInMs, sfuOutMs, ai } = join;
  if (publisher) record.publisher = publisher;
  if (join.identity) record.identity = join.identity;
  const captureMs = sent?.captureMs ?? receipt.captureMs;
  const { receivedMs, renderedMs } = receipt;
  if (receivedMs !== undefined) record.receivedMs = receivedMs;
  if (renderedMs !== undefined) record.renderedMs = renderedMs;
  if (captureMs !== undefined) record.captureMs = captureMs;
  if (sent) record.sentMs = sent.sentMs;
  if (sfuInMs !== undefined) record.sfuInMs = sfuInMs;
  if (sfuOutMs !== undefined) record.sfuOutMs = sfuOutMs;
  if (captureMs !== undefined && receivedMs !== undefined) record.frameLatencyMs = receivedMs - captureMs;
  if (captureMs !== undefined && renderedMs !== undefined) record.g2gLatencyMs = renderedMs - captureMs;
  // docs/metrics.md: a browser's uplink starts at capture, so it includes encode (its sentMs is when the encoder
  // handed the frame to RTP)
  const publisherKind = publisher ? peers.get(publisher)?.kind : undefined;
  if (sent && sfuInMs !== undefined)
    record.uplinkMs = sfuInMs - (publisherKind === 'browser' ? sent.captureMs : sent.sentMs);
  if (sfuInMs !== undefined && sfuOutMs !== undefined) record.sfuMs = sfuOutMs - sfuInMs;
  if (sfuOutMs !== undefined && receivedMs !== undefined) record.downlinkMs = receivedMs - sfuOutMs;
  if (receivedMs !== undefined && renderedMs !== undefined) record.renderMs = renderedMs - receivedMs;
  if (join.aiResult) record.aiResultMs = join.aiResult.receivedMs;
  if (receipt.psnrDb !== undefined) record.videoPsnrDb = receipt.psnrDb;
  if (receipt.ssim !== undefined) record.videoSsim = receipt.ssim;
  if (ai) {
    if (ai.queueMs !== undefined) record.aiQueueMs = ai.queueMs;
    if (ai.stages) record.aiStagesMs = ai.stages;
    if (ai.hookMs !== undefined) record.aiHookMs = ai.hookMs;
    if (ai.device !== undefined) record.aiDevice = ai.device;
    if (ai.batch !== undefined) record.aiBatchSize = ai.batch;
    if (ai.batchWaitMs !== undefined) record.aiBatchWaitMs = ai.batchWaitMs;
  }
  if (join.warmup) record.warmup = true;
  if (join.late) record.late = true;
  if (receipt.discarded) record.discarded = true;
  if (receipt.freezeMs !== undefined) record.freezeMs = receipt.freezeMs;
  return record;
}

/** The FrameRecord of a receipt whose frame could not be named: no stage times. */
export function identityLostRecordOf(
  receipt: ReceivedFrameRecord,
  info: PeerInfo | undefined,
  publisher: string | undefined,
  warmup: boolean,
): FrameRecord {
  const record: FrameRecord = {
    room: info?.room ?? '',
    subscriber: receipt.peer,
    session: receipt.sub,
    peerKind: info?.kind ?? 'synthetic',
    keyframe: receipt.keyframe,
    bytes: receipt.bytes,
    identityLost: true,
  };
  if (receipt.discarded) record.discarded = true;
  if (receipt.freezeMs !== undefined) record.freezeMs = receipt.freezeMs;
  if (receipt.receivedMs !== undefined) record.receivedMs = receipt.receivedMs;
  if (receipt.renderedMs !== undefined) record.renderedMs = receipt.renderedMs;
  if (warmup) record.warmup = true;
  if (publisher) record.publisher = publisher;
  return record;
}

/** The metric samples of judged frames, into the run's series or (warm-up) the series thrown away. */
export class FrameMetrics {
  /**
   * Where warm-up frames' metrics go, to be thrown away: the warm-up runs the harness's measuring path as the hold
   * does (its code optimised, its heap sized), so the hold starts on a harness in its steady state.
   */
  private readonly warmupSeries = new MetricSeries();

  constructor(
    readonly series: MetricSeries,
    private readonly peers: ReadonlyMap<string, PeerInfo>,
  ) {}

  seriesFor(warmup: boolean): MetricSeries {
    return warmup ? this.warmupSeries : this.series;
  }

  frameTags(room: string, publisher: string | undefined, subscriber: string, kind: string | undefined): Tags {
    return { room, publisher: publisher ?? '', subscriber, peer_kind: kind ?? 'synthetic' };
  }

  /** The tags of a sample at receiving peer `peer`, of a frame from `publisher`. */
  receiverTags(room: string, publisher: string | undefined, peer: string): Tags {
    return this.frameTags(room, publisher, peer, this.peers.get(peer)?.kind);
  }

  /** One receipt of a named frame: received or late, and its latencies. */
  receipt(record: FrameRecord, receipt: ReceivedFrameRecord, tags: Tags): void {
    const series = this.seriesFor(record.warmup === true);
    series.add(record.late ? 'frames_late' : 'frames_received', tags);
    if (receipt.discarded) series.add('frames_discarded_reader', tags);
    this.freeze(series, receipt, tags);
    for (const { metric, field } of FRAME_RECEIPT_METRICS) {
      const value = record[field];
      if (value !== undefined) series.record(metric, value, tags);
    }
    for (const { metric, field } of RECEIVED_FIELD_METRICS) {
      const value = receipt[field];
      if (value !== undefined) series.record(metric, value, tags);
    }
  }

  /** A further copy of a frame this receiver already had: counted, and nothing else of it. */
  duplicate(tags: Tags, warmup: boolean): void {
    this.seriesFor(warmup).add('frames_duplicated', tags);
  }

  /** A receipt whose frame could not be named. */
  identityLost(receipt: ReceivedFrameRecord, tags: Tags, warmup: boolean): void {
    const series = this.seriesFor(warmup);
    series.add('frames_received', tags);
    series.add('identity_lost', tags);
    // a frame the page reader passed over, whose RTP timestamp no publisher record names (a browser publisher that
    // does not identify its frames): complete at the receiver, identity unknown
    if (receipt.discarded) series.add('frames_discarded_reader', tags);
    this.freeze(series, receipt, tags);
  }

  /** The freeze a receipt ended, if it did (freezes.ts): counted where the receipt's frame is (measured or warm-up). */
  private freeze(series: MetricSeries, receipt: ReceivedFrameRecord, tags: Tags): void {
    if (receipt.freezeMs === undefined) return;
    series.add('freeze_count', tags);
    series.add('freeze_ms', tags, receipt.freezeMs);
  }

  /** What the AI hook did with one frame; frames over `budgetMs` of inference count in frames_over_budget. */
  ai(ai: AiFrameRecord, tags: Tags, series: MetricSeries, budgetMs: number): void {
    if (ai.outcome === 'dropped') series.add('frames_dropped_ai', tags);
    if (ai.outcome === 'failed') series.add('frames_failed_ai', tags);
    if (ai.queueMs !== undefined) series.record('ai_queue_ms', ai.queueMs, tags);
    for (const [stage, ms] of Object.entries(ai.stages ?? {})) {
      const metric = aiStageMetric(stage);
      if (metric) series.record(metric, ms, tags);
    }
    if (ai.outcome === 'done' && ai.hookMs !== undefined) series.record('ai_hook_ms', ai.hookMs, tags);
    if (ai.batch !== undefined) series.record('ai_batch_size', ai.batch, tags);
    if (ai.batchWaitMs !== undefined) series.record('ai_batch_wait_ms', ai.batchWaitMs, tags);
    const inference = ai.stages?.['inference'];
    if (inference !== undefined && inference > budgetMs) series.add('frames_over_budget', tags);
  }

  /** A frame due on a publisher's timetable that was not sent. */
  skipped(record: SkippedFrameRecord, warmup: boolean): void {
    const series = this.seriesFor(warmup);
    const tags = { room: this.peers.get(record.peer)?.room ?? '', publisher: record.peer };
    series.add('frames_skipped', tags);
    if (record.reason === 'encoder-dropped') series.add('frames_dropped_encoder', tags);
  }

  /** One second of a browser receiver's WebRTC stats. */
  stats(peer: string, sample: StatsSample, warmup: boolean): void {
    const series = this.seriesFor(warmup);
    const info = this.peers.get(peer);
    const tags = this.frameTags(info?.room ?? '', undefined, peer, info?.kind);
    for (const [metric, key] of STATS_TRENDS) {
      const value = sample[key];
      if (value !== undefined) series.record(metric, value, tags);
    }
    for (const [metric, key] of STATS_COUNTERS) series.add(metric, tags, sample[key] ?? 0);
  }
}
