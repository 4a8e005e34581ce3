/**
 * Rebuilds frames from RTP packets on a receiver: a frame is complete when its first packet (VP8 S=1,
 * PID=0), its marker packet and every sequence number between them have arrived. `receivedMs` is the
 * arrival of the packet that completed it (docs/metrics.md): callers pass when its datagram was read from
 * the socket (datagram-clock.ts), so SRTP and werift's work on the receiver are not booked as network.
 */
import { nowMs } from '../metrics/clock.js';
import type { FrameIdentity } from '../protocol/frame-key.js';
import { readPayloadIdentity } from './payload-identity.js';
import { type ExtensionIds, readIdentity } from './rtp-identity.js';
import { descriptorLength, isVp8FrameStart, isVp8Keyframe } from './vp8-synthetic.js';

export interface AssembledFrame {
  /** undefined when no packet of the frame carried a readable frame id (counted as identity_lost) */
  id?: FrameIdentity;
  /** where `id` was read: the frame-id header extension, or the filler bitstream (an SFU stripped the extension) */
  idMethod?: 'extension' | 'payload';
  captureMs?: number;
  /** the frame's RTP timestamp */
  rtpTs: number;
  /** arrival of the first packet of the frame at this receiver */
  firstPacketMs: number;
  /** arrival of the packet that completed the frame */
  receivedMs: number;
  keyframe: boolean;
  packets: number;
  /** RTP payload bytes */
  bytes: number;
  /** the VP8 frame's bytes: RTP payloads without their payload descriptors */
  frameBytes: number;
}

interface PendingFrame {
  firstSeq?: number;
  markerSeq?: number;
  seqs: Set<number>;
  firstPacketMs: number;
  bytes: number;
  frameBytes: number;
  keyframe: boolean;
  id?: FrameIdentity;
  idMethod?: 'extension' | 'payload';
  captureMs?: number;
}

export interface RtpLike {
  header: { sequenceNumber: number; timestamp: number; marker: boolean; extensions: { id: number; payload: Buffer }[] };
  payload: Buffer;
}

/** Frames not completed within this long are given up (the harness counts them lost). */
const INCOMPLETE_TIMEOUT_MS = 2000;

export class FrameAssembler {
  private readonly pending = new Map<number, PendingFrame>();
  private readonly completed = new Set<number>();
  private readonly completedOrder: number[] = [];

  constructor(
    private readonly extensionIds: ExtensionIds,
    private readonly onFrame: (frame: AssembledFrame) => void,
  ) {}

  /** `arrivalMs`: when the packet's datagram was read (default: now) */
  push(packet: RtpLike, arrivalMs = nowMs()): void {
    const { timestamp, sequenceNumber, marker } = packet.header;
    if (this.completed.has(timestamp)) return; // a retransmission of a frame already complete
    let frame = this.pending.get(timestamp);
    if (!frame) {
      frame = { seqs: new Set(), firstPacketMs: arrivalMs, bytes: 0, frameBytes: 0, keyframe: false };
      this.pending.set(timestamp, frame);
      this.expire(arrivalMs);
    }
    if (frame.seqs.has(sequenceNumber)) return;
    frame.seqs.add(sequenceNumber);
    frame.bytes += packet.payload.length;
    const descriptorBytes = Math.min(packet.payload.length, descriptorLength(packet.payload));
    frame.frameBytes += packet.payload.length - descriptorBytes;
    if (frame.id === undefined || frame.captureMs === undefined) {
      const identity = readIdentity(packet.header.extensions, this.extensionIds);
      if (frame.id === undefined && identity.id) {
        frame.id = identity.id;
        frame.idMethod = 'extension';
      }
      frame.captureMs ??= identity.captureMs;
    }
    if (isVp8FrameStart(packet.payload)) {
      frame.firstSeq = sequenceNumber;
      frame.keyframe = isVp8Keyframe(packet.payload);
      // no frame-id extension (an SFU stripped it): a synthetic frame carries the id after its VP8 header
      if (frame.id === undefined) {
        const id = readPayloadIdentity(packet.payload.subarray(descriptorBytes));
        if (id) {
          frame.id = id;
          frame.idMethod = 'payload';
        }
      }
    }
    if (marker) frame.markerSeq = sequenceNumber;
    if (frame.firstSeq !== undefined && frame.markerSeq !== undefined) {
      const span = ((frame.markerSeq - frame.firstSeq + 0x10000) & 0xffff) + 1;
      if (frame.seqs.size >= span) this.complete(timestamp, frame, arrivalMs);
    }
  }

  private complete(timestamp: number, frame: PendingFrame, receivedMs: number): void {
    this.pending.delete(timestamp);
    this.completed.add(timestamp);
    this.completedOrder.push(timestamp);
    if (this.completedOrder.length > 512) this.completed.delete(this.completedOrder.shift() as number);
    const result: AssembledFrame = {
      rtpTs: timestamp,
      firstPacketMs: frame.firstPacketMs,
      receivedMs,
      keyframe: frame.keyframe,
      packets: frame.seqs.size,
      bytes: frame.bytes,
      frameBytes: frame.frameBytes,
    };
    if (frame.id) result.id = frame.id;
    if (frame.idMethod) result.idMethod = frame.idMethod;
    if (frame.captureMs !== undefined) result.captureMs = frame.captureMs;
    this.onFrame(result);
  }

  private expire(currentMs: number): void {
    for (const [timestamp, frame] of this.pending) {
      if (currentMs - frame.firstPacketMs > INCOMPLETE_TIMEOUT_MS) this.pending.delete(timestamp);
    }
  }
}
