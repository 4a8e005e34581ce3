/**
 * Depacketizer for the AI hook: gathers a video track's RTP packets into frames. Packets may arrive out of
 * order; a frame is complete when the packet that starts it (VP8 S=1, partition 0), its marker packet and every
 * sequence number between them are in. Complete frames are handed on in RTP timestamp order of completion; a
 * frame still incomplete after `timeoutMs` (a packet was lost) is given up and reported, never guessed.
 */
import type { RtpPacket } from 'werift';

import { isVp8FrameStart, isVp8Keyframe } from '../../src/media/vp8-synthetic.js';

export interface BufferedFrame {
  timestamp: number;
  /** frame key (frame id, or `rtp:<stream>:<ts>` without one) */
  key: string;
  /** in sequence-number order */
  packets: RtpPacket[];
  keyframe: boolean;
  firstPacketMs: number;
  /** the packet that completed it arrived */
  readyMs: number;
}

interface Pending {
  key: string;
  packets: Map<number, RtpPacket>;
  firstSeq?: number;
  markerSeq?: number;
  firstPacketMs: number;
}

/** distance from a to b in 16-bit sequence space (negative when b is before a) */
function seqDelta(a: number, b: number): number {
  return ((b - a + 0x8000) & 0xffff) - 0x8000;
}

export class FrameBuffer {
  private readonly pending = new Map<number, Pending>();
  private readonly done = new Set<number>();
  private readonly doneOrder: number[] = [];

  constructor(
    private readonly onFrame: (frame: BufferedFrame) => void,
    private readonly onIncomplete: (key: string) => void,
    private readonly timeoutMs = 1000,
  ) {}

  push(rtp: RtpPacket, key: string, arrivalMs: number): void {
    const { timestamp, sequenceNumber, marker } = rtp.header;
    if (this.done.has(timestamp)) return; // a retransmission of a frame already handed on
    let frame = this.pending.get(timestamp);
    if (!frame) {
      frame = { key, packets: new Map(), firstPacketMs: arrivalMs };
      this.pending.set(timestamp, frame);
      this.expire(arrivalMs);
    }
    if (frame.packets.has(sequenceNumber)) return;
    frame.packets.set(sequenceNumber, rtp);
    if (isVp8FrameStart(rtp.payload)) frame.firstSeq = sequenceNumber;
    if (marker) frame.markerSeq = sequenceNumber;
    if (frame.firstSeq === undefined || frame.markerSeq === undefined) return;
    const span = seqDelta(frame.firstSeq, frame.markerSeq) + 1;
    if (span <= 0 || frame.packets.size < span) return;
    const packets: RtpPacket[] = [];
    for (let i = 0; i < span; i += 1) {
      const packet = frame.packets.get((frame.firstSeq + i) & 0xffff);
      if (!packet) return;
      packets.push(packet);
    }
    this.pending.delete(timestamp);
    this.done.add(timestamp);
    this.doneOrder.push(timestamp);
    if (this.doneOrder.length > 256) this.done.delete(this.doneOrder.shift() as number);
    this.onFrame({
      timestamp,
      key: frame.key,
      packets,
      keyframe: isVp8Keyframe(packets[0]?.payload ?? Buffer.alloc(0)),
      firstPacketMs: frame.firstPacketMs,
      readyMs: arrivalMs,
    });
  }

  private expire(nowMs: number): void {
    for (const [timestamp, frame] of this.pending) {
      if (nowMs - frame.firstPacketMs <= this.timeoutMs) continue;
      this.pending.delete(timestamp);
      this.onIncomplete(frame.key);
    }
  }

  clear(): void {
    this.pending.clear();
  }
}
