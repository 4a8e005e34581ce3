/**
 * The external-worker protocol: how the reference SFU hands stage calls to a worker process (Python, C++,
 * TensorRT, ...) over a Unix domain socket, and gets results back. Every message, both ways, is
 *
 *   u32 (big-endian) L   length of what follows
 *   u16 (big-endian) H   length of the header
 *   H bytes              header: UTF-8 JSON
 *   L - 2 - H bytes      payload
 *
 * Request header: `{ "id": <u32 call id>, "f": "<frame key>", "stage": "<stage name>", "format": "vp8" | "i420",
 * "width"?: <px>, "height"?: <px>, "model": <the stage's model>, "modelMs": <ms> }`. The payload:
 * - `format: vp8` (synthetic stages): the frame's VP8 RTP payloads, concatenated; the answer's payload is ignored.
 * - `format: i420` (the real video path, `ai.worker: { type: external, format: i420 }`): the decoded picture,
 *   planar I420 (`width` x `height` luma bytes, then U and V, each ceil(width/2) x ceil(height/2)), no padding.
 *   The answer's payload is the processed picture in the same layout and size; the SFU puts the marker strip of
 *   the input back (the top `stripHeight + 1` rows of luma, media/marker.ts) and encodes it.
 * `model` is the scenario's, e.g. `{ "filter": "blur" }` or `{ "synthetic": { "fixedMs": 20 } }`; `modelMs` is
 * the time the SFU drew from a synthetic model for this call (a synthetic worker spends it, a real one ignores
 * it). With `ai.devices: gpus` the header also names the GPU the SFU's scheduler chose: `"device": "gpu0",
 * "gpu": 0` (nvidia-smi's index; e.g. `torch.device(f"cuda:{gpu}")`).
 * Response header: `{ "id": <the call's id>, "ok": true, "ms": <compute time in the worker>, "batch"?: <calls in
 * the batch this call ran in>, "waitMs"?: <from the worker reading the call to its batch starting> }` or
 * `{ "id", "ok": false, "error": "<reason>" }`. The SFU records `ms` as the stage's time (`ai_inference_ms`),
 * `waitMs` as `ai_batch_wait_ms`, `batch` as `ai_batch_size`, and the rest of the round trip as
 * `ai_transfer_ms`. Calls may be pipelined: the SFU sends a call whenever a pool worker takes a frame, and a
 * worker may answer them in any order and batch the calls that wait while it is busy.
 */

import type { StageModel } from './ai.js';

/** the largest message accepted, bytes (a 4K I420 frame is 12 MB) */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const MAX_HEADER_BYTES = 64 * 1024;

export interface CallHeader {
  id: number;
  f: string;
  stage: string;
  format: CallFormat;
  width?: number;
  height?: number;
  model: StageModel;
  modelMs: number;
  /** `ai.devices: gpus`: the device the scheduler chose and its nvidia-smi index */
  device?: string;
  gpu?: number;
}

export type CallFormat = 'vp8' | 'i420';

export type ResultHeader =
  { id: number; ok: true; ms: number; batch?: number; waitMs?: number } | { id: number; ok: false; error: string };

/** Bytes of a planar I420 picture of this size (chroma planes rounded up, as libvpx makes them). */
export function i420Bytes(width: number, height: number): number {
  return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
}

export interface Message<H> {
  header: H;
  payload: Buffer;
}

/** The length prefix and header of a message whose payload follows (written separately: no copy of it). */
export function messageHead(header: object, payloadBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_BYTES) throw new Error(`header of ${json.length} bytes is over ${MAX_HEADER_BYTES}`);
  const head = Buffer.allocUnsafe(6 + json.length);
  head.writeUInt32BE(2 + json.length + payloadBytes, 0);
  head.writeUInt16BE(json.length, 4);
  json.copy(head, 6);
  return head;
}

export function encodeMessage(header: object, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([messageHead(header, payload.length), payload]);
}

/**
 * Splits a byte stream into messages. Bytes from the socket are untrusted: a length over the limits or a
 * header that is not a JSON object is an error (the connection is to be closed), never a crash. With
 * `allocate`, a message with a payload (a decoded picture) is copied once, from the socket's chunks into a
 * buffer of its own that `allocate` gives (a reused one, where the caller keeps them); otherwise a message is a
 * view of a chunk where it fits in one.
 */
export class MessageReader {
  private buffered: Buffer[] = [];
  private size = 0;

  constructor(private readonly allocate?: (bytes: number) => Buffer) {}

  push(chunk: Buffer): Message<unknown>[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const messages: Message<unknown>[] = [];
    for (;;) {
      if (this.size < 6) break;
      const head = this.peek(6);
      const length = head.readUInt32BE(0);
      const headerLength = head.readUInt16BE(4);
      if (length > MAX_MESSAGE_BYTES)
        throw new Error(`message of ${length} bytes is over the ${MAX_MESSAGE_BYTES} limit`);
      if (headerLength > length - 2 || headerLength > MAX_HEADER_BYTES)
        throw new Error(`header length ${headerLength} does not fit a message of ${length} bytes`);
      if (this.size < 4 + length) break;
      const whole = this.take(4 + length, this.allocate !== undefined && length - 2 - headerLength > 0);
      let header: unknown;
      try {
        header = JSON.parse(whole.subarray(6, 6 + headerLength).toString('utf8'));
      } catch {
        throw new Error('message header is not JSON');
      }
      if (header === null || typeof header !== 'object' || Array.isArray(header))
        throw new Error('message header is not a JSON object');
      messages.push({ header, payload: whole.subarray(6 + headerLength) });
    }
    return messages;
  }

  private peek(n: number): Buffer {
    if ((this.buffered[0]?.length ?? 0) < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0] as Buffer;
  }

  private take(n: number, ownBuffer: boolean): Buffer {
    this.size -= n;
    const first = this.buffered[0] as Buffer;
    if (first.length >= n && !ownBuffer) {
      if (first.length === n) this.buffered.shift();
      else this.buffered[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = ownBuffer && this.allocate ? this.allocate(n) : Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.buffered[0] as Buffer;
      const k = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, k);
      at += k;
      if (k === chunk.length) this.buffered.shift();
      else this.buffered[0] = chunk.subarray(k);
    }
    return out;
  }
}
