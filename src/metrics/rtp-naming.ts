/**
 * Names the receipts that come without a frame id (docs/architecture.md section 2): through the RTP timestamp
 * offset learned for their subscription (rtp-offset.ts), the publisher's record of the timestamp names the frame
 * (rtp-join.ts). A receipt is held while its subscription's offset is unknown, and waits in the join while the
 * publisher's record has not come; one held past the late horizon has its identity lost.
 */
import type { ReceivedFrameRecord } from '../protocol/runner-ipc.js';
import { arrivalOf } from './frame-state.js';
import type { RtpJoin } from './rtp-join.js';
import { RtpOffsetLearner } from './rtp-offset.js';

type TimedReceipt = ReceivedFrameRecord & { rtpTs: number };

export interface RtpNamingHooks {
  /** the publisher tag a subscription receives */
  publisherTagOf(sub: string): number | undefined;
  /** a receipt named frame `key` */
  receive(receipt: ReceivedFrameRecord, key: string, nowMs: number): void;
  /** a receipt no frame could be named for */
  lost(receipt: ReceivedFrameRecord): void;
}

export class RtpNaming {
  private readonly offsets = new RtpOffsetLearner<TimedReceipt>();

  constructor(
    private readonly rtp: RtpJoin,
    private readonly hooks: RtpNamingHooks,
  ) {}

  /** A publisher's sent record with its RTP timestamp and VP8 size. */
  sent(publisherTag: number, rtpTs: number, bytes: number): void {
    this.offsets.addSent(publisherTag, rtpTs, bytes);
  }

  /** A frame its receiver named itself (a marker), with the RTP timestamps it was received and sent with. */
  named(sub: string, receiverTs: number, publisherTs: number): void {
    this.offsets.named(sub, receiverTs, publisherTs);
  }

  /** A receipt without a frame id. */
  name(record: TimedReceipt, nowMs: number): void {
    const tag = this.hooks.publisherTagOf(record.sub);
    if (tag === undefined) return this.hooks.lost(record);
    const publisherTs = this.offsets.map(record.sub, tag, record);
    if (publisherTs !== undefined) this.nameAt(record, tag, publisherTs, nowMs);
    // the receipts held until now, when this one let the offset be learned
    for (const held of this.offsets.learn(record.sub, tag)) this.nameAt(held.receipt, tag, held.publisherTs, nowMs);
  }

  private nameAt(record: ReceivedFrameRecord, tag: number, publisherTs: number, nowMs: number): void {
    const key = this.rtp.keyOf(tag, publisherTs);
    const identity = this.offsets.offsetOf(record.sub) === 0 ? 'rtp-timestamp' : 'rtp-offset';
    const named: ReceivedFrameRecord = { ...record, identity };
    const known = key ? this.rtp.frameOf(key) : undefined;
    if (known) this.hooks.receive(named, known, nowMs);
    else if (key) this.rtp.wait(key, named, nowMs);
    else this.hooks.lost(record);
  }

  /**
   * Learns the offsets the sent records that came since allow, and gives up receipts held since before
   * `orphanCutoffMs` (all of them, with `all`).
   */
  sweep(nowMs: number, orphanCutoffMs: number, all: boolean): void {
    for (const sub of this.offsets.waitingSubs()) {
      const tag = this.hooks.publisherTagOf(sub);
      if (tag === undefined) continue;
      for (const held of this.offsets.learn(sub, tag)) this.nameAt(held.receipt, tag, held.publisherTs, nowMs);
    }
    const old = all ? this.offsets.drain() : this.offsets.expire((r) => arrivalOf(r) < orphanCutoffMs);
    for (const receipt of old) this.hooks.lost(receipt);
  }
}
