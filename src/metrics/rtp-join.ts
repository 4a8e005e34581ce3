/**
 * Frames without a frame-id extension (browser publishers: Chromium sends none) are named by the SFU and by
 * receivers after their RTP timestamp, `rtp:<stream>:<rtp timestamp>`. This keeps what is known under that key
 * until the publisher's record of the timestamp names the frame: the SFU's stage times, and receipts waiting.
 */
import type { AiFrameRecord } from '../protocol/ai.js';
import type { ReceivedFrameRecord } from '../protocol/runner-ipc.js';
import type { TelemetryRecord } from '../protocol/telemetry.js';

/** How long rtp-keyed stage times and names are kept for a late join, ms. */
const RTP_MEMORY_MS = 10_000;

/** The SFU's records of one rtp-keyed frame. */
export interface RtpStages {
  firstSeenMs: number;
  sfuInMs?: number;
  sfuOut: Map<string, number>;
  ai?: AiFrameRecord;
}

export class RtpJoin {
  /** the SFU's stream (session) id of each publisher tag */
  private readonly streamByTag = new Map<number, string>();
  /**
   * SFU stage times of frames that carry no frame-id extension; receivers that know a frame's RTP timestamp join
   * through it
   */
  private readonly stages = new Map<string, RtpStages>();
  /** frame key of each `rtp:<stream>:<rtp timestamp>` a browser publisher reported sending */
  private readonly frameByRtp = new Map<string, { firstSeenMs: number; f: string }>();
  /** receipts without a frame id, waiting for the publisher's record of their RTP timestamp */
  private readonly unresolved = new Map<string, { firstSeenMs: number; receipts: ReceivedFrameRecord[] }>();

  registerStream(publisherTag: number, streamId: string): void {
    this.streamByTag.set(publisherTag, streamId);
  }

  /** `rtp:<stream>:<ts>` of a frame of the publisher with this tag, when its stream is known. */
  keyOf(publisherTag: number | undefined, rtpTs: number | undefined): string | undefined {
    if (publisherTag === undefined || rtpTs === undefined) return undefined;
    const stream = this.streamByTag.get(publisherTag);
    return stream ? `rtp:${stream}:${rtpTs}` : undefined;
  }

  /** The publisher named frame `f` by its RTP timestamp: the receipts that waited for the name. */
  named(key: string, f: string, nowMs: number): ReceivedFrameRecord[] {
    this.frameByRtp.set(key, { firstSeenMs: nowMs, f });
    const waiting = this.unresolved.get(key);
    if (!waiting) return [];
    this.unresolved.delete(key);
    return waiting.receipts;
  }

  /** The frame key of an rtp key, once its publisher named it. */
  frameOf(key: string): string | undefined {
    return this.frameByRtp.get(key)?.f;
  }

  /** A receipt that waits for its frame's name. */
  wait(key: string, receipt: ReceivedFrameRecord, nowMs: number): void {
    let waiting = this.unresolved.get(key);
    if (!waiting) {
      waiting = { firstSeenMs: nowMs, receipts: [] };
      this.unresolved.set(key, waiting);
    }
    waiting.receipts.push(receipt);
  }

  /** The SFU's records of an rtp-keyed frame, created empty when the first of them comes. */
  stagesFor(key: string, nowMs: number): RtpStages {
    let entry = this.stages.get(key);
    if (!entry) {
      entry = { firstSeenMs: nowMs, sfuOut: new Map() };
      this.stages.set(key, entry);
    }
    return entry;
  }

  /** The SFU's `in` or `out` stamp of a frame it named by RTP timestamp; false when the frame has a frame id. */
  stage(record: Extract<TelemetryRecord, { k: 'in' | 'out' }>, nowMs: number): boolean {
    if (!record.f.startsWith('rtp:')) return false;
    const entry = this.stagesFor(record.f, nowMs);
    if (record.k === 'in') entry.sfuInMs ??= record.ms;
    else if (!entry.sfuOut.has(record.sub)) entry.sfuOut.set(record.sub, record.ms);
    return true;
  }

  stagesOf(key: string | undefined): RtpStages | undefined {
    return key === undefined ? undefined : this.stages.get(key);
  }

  /**
   * Forgets what is older than the memory (everything, with `all`); returns the receipts that waited since
   * before `cutoffMs` (all of them, with `all`): no publisher named their frame.
   */
  expire(nowMs: number, cutoffMs: number, all: boolean): ReceivedFrameRecord[] {
    const orphans: ReceivedFrameRecord[] = [];
    for (const [key, waiting] of this.unresolved) {
      if (!all && waiting.firstSeenMs > cutoffMs) break;
      this.unresolved.delete(key);
      orphans.push(...waiting.receipts);
    }
    const rtpCutoff = all ? Number.POSITIVE_INFINITY : nowMs - RTP_MEMORY_MS;
    for (const [key, entry] of this.stages) {
      if (entry.firstSeenMs > rtpCutoff) break;
      this.stages.delete(key);
    }
    for (const [key, entry] of this.frameByRtp) {
      if (entry.firstSeenMs > rtpCutoff) break;
      this.frameByRtp.delete(key);
    }
    return orphans;
  }
}
