/**
 * Frame identity carried in band on every RTP packet (docs/architecture.md):
 * - abs-capture-time (webrtc.org experiment): 64-bit NTP capture timestamp of the frame;
 * - glassbench frame id: 32-bit publisher tag + 32-bit frame sequence number.
 * Both fit the one-byte header-extension form (RFC 8285, payload <= 16 bytes).
 */
import { msToNtp, ntpToMs } from '../metrics/clock.js';
import type { FrameIdentity } from '../protocol/frame-key.js';

export const ABS_CAPTURE_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time';
export const FRAME_ID_URI = 'urn:glassbench:frame-id';

/** The extensions every glassbench peer and the reference SFU negotiate for video. */
export const IDENTITY_EXTENSION_URIS = [ABS_CAPTURE_TIME_URI, FRAME_ID_URI] as const;

export function encodeFrameId(id: FrameIdentity): Buffer {
  const buf = Buffer.allocUnsafe(8);
  buf.writeUInt32BE(id.publisherTag >>> 0, 0);
  buf.writeUInt32BE(id.frameSeq >>> 0, 4);
  return buf;
}

export function decodeFrameId(payload: Buffer): FrameIdentity | undefined {
  if (payload.length !== 8) return undefined;
  return { publisherTag: payload.readUInt32BE(0), frameSeq: payload.readUInt32BE(4) };
}

export function encodeAbsCaptureTime(captureMs: number): Buffer {
  const buf = Buffer.allocUnsafe(8);
  buf.writeBigUInt64BE(msToNtp(captureMs), 0);
  return buf;
}

/** Accepts the 8-byte form and the 16-byte form with an estimated clock offset (ignored here). */
export function decodeAbsCaptureTime(payload: Buffer): number | undefined {
  if (payload.length !== 8 && payload.length !== 16) return undefined;
  return ntpToMs(payload.readBigUInt64BE(0));
}

/** Negotiated extension ids of one peer connection, by URI. */
export interface ExtensionIds {
  absCaptureTime?: number;
  frameId?: number;
}

export function extensionIdsFrom(negotiated: readonly { id: number; uri: string }[]): ExtensionIds {
  const ids: ExtensionIds = {};
  for (const ext of negotiated) {
    if (ext.uri === ABS_CAPTURE_TIME_URI) ids.absCaptureTime = ext.id;
    if (ext.uri === FRAME_ID_URI) ids.frameId = ext.id;
  }
  return ids;
}

export interface PacketIdentity {
  id?: FrameIdentity;
  captureMs?: number;
}

/** Reads identity from an RTP packet's extensions using the ids negotiated on its connection. */
export function readIdentity(
  extensions: readonly { id: number; payload: Buffer }[],
  ids: ExtensionIds,
): PacketIdentity {
  const result: PacketIdentity = {};
  for (const ext of extensions) {
    if (ext.id === ids.frameId) {
      const id = decodeFrameId(ext.payload);
      if (id) result.id = id;
    } else if (ext.id === ids.absCaptureTime) {
      const ms = decodeAbsCaptureTime(ext.payload);
      if (ms !== undefined) result.captureMs = ms;
    }
  }
  return result;
}
