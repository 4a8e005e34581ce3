/**
 * Synthetic VP8 frames: payloads shaped like a real VP8 stream (RFC 7741 payload descriptor with a 15-bit
 * PictureID, RFC 6386 frame tag, keyframe start code and dimensions) so any SFU forwards them and keyframe
 * detection works. The bitstream after the headers is filler (synthetic receivers do not decode it) that starts
 * with the frame's id (payload-identity.ts), for SFUs that strip the frame-id header extension.
 */
import { PAYLOAD_IDENTITY_BYTES } from './payload-identity.js';

export interface Vp8FrameShape {
  keyframe: boolean;
  /** encoded frame size in bytes */
  sizeBytes: number;
}

/** How large frames are: keyframes KEYFRAME_RATIO times a delta frame, averaging to the bitrate. */
const KEYFRAME_RATIO = 6;
/** Largest RTP payload we emit, bytes (leaves room for headers under a 1200-byte MTU budget). */
export const MAX_RTP_PAYLOAD_BYTES = 1100;

export interface FrameSizerOptions {
  bitrateKbps: number;
  fps: number;
  keyframeIntervalMs: number;
  /** source of randomness in [0,1); injectable for tests */
  random?: () => number;
}

/** Chooses each frame's type and size so the stream averages the target bitrate. */
export class FrameSizer {
  private readonly deltaBytes: number;
  private readonly framesPerGop: number;
  private sinceKeyframe = Number.POSITIVE_INFINITY;
  private readonly random: () => number;

  constructor(options: FrameSizerOptions) {
    const averageBytes = (options.bitrateKbps * 1000) / 8 / options.fps;
    this.framesPerGop = Math.max(1, Math.round((options.keyframeIntervalMs / 1000) * options.fps));
    this.deltaBytes = (averageBytes * this.framesPerGop) / (this.framesPerGop + KEYFRAME_RATIO - 1);
    this.random = options.random ?? Math.random;
  }

  /** Makes the next frame a keyframe (a subscriber asked with PLI/FIR). */
  requestKeyframe(): void {
    this.sinceKeyframe = Number.POSITIVE_INFINITY;
  }

  next(): Vp8FrameShape {
    const keyframe = this.sinceKeyframe >= this.framesPerGop;
    this.sinceKeyframe = keyframe ? 1 : this.sinceKeyframe + 1;
    const base = keyframe ? this.deltaBytes * KEYFRAME_RATIO : this.deltaBytes;
    const jitter = 0.8 + 0.4 * this.random();
    // never smaller than the VP8 header plus the payload identity, so every frame carries its id
    const minBytes = (keyframe ? 10 : 3) + PAYLOAD_IDENTITY_BYTES;
    return { keyframe, sizeBytes: Math.max(minBytes, Math.round(base * jitter)) };
  }
}

const FILLER = Buffer.alloc(64 * 1024, 0x5a);

/** VP8 frame bytes (RFC 6386 section 9.1): frame tag, and for keyframes start code and dimensions. */
export function buildVp8Frame(shape: Vp8FrameShape, width: number, height: number): Buffer {
  const size = Math.min(shape.sizeBytes, FILLER.length);
  const frame = Buffer.allocUnsafe(size);
  FILLER.copy(frame, 0, 0, size);
  const headerBytes = shape.keyframe ? 10 : 3;
  const firstPartitionSize = Math.max(0, Math.min(size - headerBytes, 0x7ffff));
  // frame tag: bit 0 = 0 for keyframes, version 0, show_frame = 1, 19-bit first partition size
  const tag = (shape.keyframe ? 0 : 1) | (1 << 4) | (firstPartitionSize << 5);
  frame[0] = tag & 0xff;
  frame[1] = (tag >> 8) & 0xff;
  frame[2] = (tag >> 16) & 0xff;
  if (shape.keyframe) {
    frame[3] = 0x9d;
    frame[4] = 0x01;
    frame[5] = 0x2a;
    frame.writeUInt16LE(width & 0x3fff, 6);
    frame.writeUInt16LE(height & 0x3fff, 8);
  }
  return frame;
}

/**
 * Splits a VP8 frame into RTP payloads, each with a payload descriptor (RFC 7741 section 4.2):
 * X=1, S=1 on the first packet, PID=0, and an extended 15-bit PictureID.
 */
export function packetizeVp8(frame: Buffer, pictureId: number): Buffer[] {
  const descriptorBytes = 4;
  const chunk = MAX_RTP_PAYLOAD_BYTES - descriptorBytes;
  const payloads: Buffer[] = [];
  for (let offset = 0; offset < frame.length; offset += chunk) {
    const part = frame.subarray(offset, Math.min(frame.length, offset + chunk));
    const payload = Buffer.allocUnsafe(descriptorBytes + part.length);
    payload[0] = 0x80 | (offset === 0 ? 0x10 : 0);
    payload[1] = 0x80; // I: PictureID present
    payload[2] = 0x80 | ((pictureId >> 8) & 0x7f); // M: 15-bit PictureID
    payload[3] = pictureId & 0xff;
    part.copy(payload, descriptorBytes);
    payloads.push(payload);
  }
  return payloads;
}

/** Is this RTP payload the first packet of a VP8 frame (S=1, PID=0)? */
export function isVp8FrameStart(payload: Buffer): boolean {
  return payload.length > 0 && ((payload[0] as number) & 0x10) !== 0 && ((payload[0] as number) & 0x07) === 0;
}

/** Offset of the VP8 payload header after the descriptor (RFC 7741 section 4.2). */
export function descriptorLength(payload: Buffer): number {
  const b0 = payload[0] ?? 0;
  let offset = 1;
  if ((b0 & 0x80) === 0) return offset;
  const ext = payload[1] ?? 0;
  offset += 1;
  if (ext & 0x80) offset += ((payload[offset] ?? 0) & 0x80) !== 0 ? 2 : 1; // PictureID
  if (ext & 0x40) offset += 1; // TL0PICIDX
  if (ext & 0x30) offset += 1; // TID/KEYIDX
  return offset;
}

/** Is this first packet of a frame a keyframe (frame tag P bit = 0)? */
export function isVp8Keyframe(payload: Buffer): boolean {
  if (!isVp8FrameStart(payload)) return false;
  const header = payload[descriptorLength(payload)];
  return header !== undefined && (header & 0x01) === 0;
}

/** The VP8 frame carried by a frame's RTP payloads (in order): each payload without its descriptor. */
export function depacketizeVp8(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.map((p) => p.subarray(Math.min(p.length, descriptorLength(p)))));
}
