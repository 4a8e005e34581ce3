/**
 * Frame identity inside the bitstream of synthetic (filler) VP8 frames, for SFUs that strip unknown RTP header
 * extensions: a forwarding SFU rewrites RTP headers (sequence numbers, timestamps, extensions) but passes the
 * payload through untouched. The id sits right after the VP8 frame header (RFC 6386 section 9.1: 3 bytes, 10 for
 * a keyframe), so it is in the frame's first RTP packet, and nobody decodes filler frames. Layout, 16 bytes:
 * magic `GBID`, publisher tag (u32 BE), frame sequence number (u32 BE), CRC-32 of the 8 id bytes. Magic and CRC
 * together make a false read from a real VP8 frame (libvpx output, a browser's) about 2^-64 per frame.
 */
import { crc32 } from 'node:zlib';

import type { FrameIdentity } from '../protocol/frame-key.js';

const MAGIC = Buffer.from('GBID', 'latin1');
/** bytes the id takes after the VP8 frame header */
export const PAYLOAD_IDENTITY_BYTES = 16;

/** Length of the VP8 frame header (frame tag, and a keyframe's start code and dimensions). */
export function vp8HeaderBytes(frame: Buffer): number {
  const tag = frame[0];
  if (tag === undefined) return 0;
  return (tag & 0x01) === 0 ? 10 : 3;
}

/**
 * Writes the id into `frame` after its VP8 header; returns false (frame untouched) when the frame is too small
 * to hold it.
 */
export function writePayloadIdentity(frame: Buffer, id: FrameIdentity): boolean {
  const offset = vp8HeaderBytes(frame);
  if (offset === 0 || frame.length < offset + PAYLOAD_IDENTITY_BYTES) return false;
  MAGIC.copy(frame, offset);
  frame.writeUInt32BE(id.publisherTag >>> 0, offset + 4);
  frame.writeUInt32BE(id.frameSeq >>> 0, offset + 8);
  frame.writeUInt32BE(crc32(frame.subarray(offset + 4, offset + 12)) >>> 0, offset + 12);
  return true;
}

/**
 * Reads the id from the start of a VP8 frame (its first RTP packet's payload without the payload descriptor is
 * enough); undefined when absent, truncated or failing its check.
 */
export function readPayloadIdentity(frameStart: Buffer): FrameIdentity | undefined {
  const offset = vp8HeaderBytes(frameStart);
  if (offset === 0 || frameStart.length < offset + PAYLOAD_IDENTITY_BYTES) return undefined;
  if (!frameStart.subarray(offset, offset + 4).equals(MAGIC)) return undefined;
  const check = frameStart.readUInt32BE(offset + 12);
  if (crc32(frameStart.subarray(offset + 4, offset + 12)) >>> 0 !== check) return undefined;
  return { publisherTag: frameStart.readUInt32BE(offset + 4), frameSeq: frameStart.readUInt32BE(offset + 8) };
}
