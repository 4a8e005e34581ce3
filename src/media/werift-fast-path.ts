/**
 * Cheaper versions of werift 0.24.4's per-packet hot spots, installed on its classes: a small replacement of
 * the hot part in our code rather than a patch on disk, so that glassbench installed from npm gets it too.
 *
 * What `node --cpu-prof` showed (docs/benchmarks.md, parts a and b):
 * - `RtpHeader.deSerialize` reads every bit field through `getBit`, which formats the byte as a binary
 *   string, splits and re-parses it: 9% of a peer runner's CPU at 100 subscribers. Here: shifts and masks.
 * - SRTP with AEAD_AES_128_GCM (what werift and Chromium negotiate) builds each packet's IV through a generic
 *   buffer writer, zero-fills and copies its output twice. Node cannot give an AES-GCM context a new IV, so
 *   the new cipher context per packet (reported upstream for werift's SRTP) stays; the work around it goes.
 *
 * - `RTCRtpSender.sendRtp` (werift-fast-sender.ts): its NTP clock, BigInt sums and extension rebuild.
 * - `RTCRtpReceiver`'s `twccEnabled` and `nackEnabled`, read for every packet, copy and sort the codec table
 *   each time (`codecArray`), and `RTCRtpCodecParameters.name` splits the MIME type each time: 4% of a runner.
 *   Here: the codec of the lowest payload type, kept until werift's `prepareReceive` changes the table, and the
 *   name split once per MIME type.
 *
 * Each replacement gives byte-identical results to werift's own (test/unit/werift-fast-path.test.ts compares
 * them on random headers and on known keys); where a packet does not parse or authenticate, werift's own
 * method runs instead, so callers get exactly werift's error (its transport drops the packet); one exception: an
 * extension block longer than the packet is refused at once (werift's parse takes minutes over it). Installed
 * only on the werift version it mirrors; on another one werift is left as it is.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { RTCRtpCodecParameters, RTCRtpReceiver, RtpHeader, SrtpSession } from 'werift';

import { installFastSender } from './werift-fast-sender.js';

/** the werift version these replacements mirror (package.json pins it) */
export const FAST_PATH_WERIFT_VERSION = '0.24.4';

const ONE_BYTE_PROFILE = 0xbede;
const TWO_BYTE_PROFILE = 0x1000;
/** RFC 7714 AEAD_AES_128_GCM, werift's `ProtectionProfileAeadAes128Gcm` */
const PROFILE_AEAD_AES_128_GCM = 7;

interface Extension {
  id: number;
  payload: Buffer;
}
type Header = RtpHeader & { extensionLength?: number };

/** RFC 3550 section 5.1 and RFC 8285: werift's parse, field for field; undefined where werift would throw. */
function parseHeader(raw: Buffer): RtpHeader | undefined {
  const b0 = raw[0];
  const b1 = raw[1];
  const cc = b0 === undefined ? 0 : b0 & 0x0f;
  if (b0 === undefined || b1 === undefined || raw.length < 12 + cc * 4) return undefined;
  const h = new RtpHeader() as Header;
  h.version = b0 >> 6;
  h.padding = (b0 & 0x20) !== 0;
  h.extension = (b0 & 0x10) !== 0;
  h.csrcLength = cc;
  const csrc: number[] = [];
  for (let i = 0; i < cc; i += 1) csrc.push(raw.readUInt32BE(12 + i * 4));
  h.csrc = csrc;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = raw.readUInt16BE(2);
  h.timestamp = raw.readUInt32BE(4);
  h.ssrc = raw.readUInt32BE(8);
  let offset = 12 + cc * 4;
  if (h.extension) {
    if (raw.length < offset + 4) return undefined;
    h.extensionProfile = raw.readUInt16BE(offset) as RtpHeader['extensionProfile'];
    const extensionLength = raw.readUInt16BE(offset + 2) * 4;
    h.extensionLength = extensionLength;
    offset += 4;
    const end = offset + extensionLength;
    // an extension block longer than the packet is hostile or broken: werift's own parse would walk it to the
    // claimed end with one array spread per step (quadratic: minutes for one packet), so it is refused here;
    // werift's SRTP layer drops a packet whose header does not parse
    if (end > raw.length) throw new RangeError(`RTP header extension of ${extensionLength} bytes runs past the packet`);
    const extensions: Extension[] = [];
    if (h.extensionProfile === ONE_BYTE_PROFILE) {
      while (offset < end) {
        const byte = raw[offset];
        // werift reads past the buffer's end here as NaN lengths: leave such packets to werift
        if (byte === undefined) return undefined;
        offset += 1;
        if (byte === 0) continue;
        if (byte >> 4 === 15) break;
        const len = (byte & 0x0f) + 1;
        extensions.push({ id: byte >> 4, payload: raw.subarray(offset, offset + len) });
        offset += len;
      }
    } else if (h.extensionProfile === TWO_BYTE_PROFILE) {
      while (offset < end) {
        const id = raw[offset];
        if (id === undefined) return undefined;
        offset += 1;
        if (id === 0) continue;
        const len = raw[offset];
        if (len === undefined) return undefined;
        offset += 1;
        extensions.push({ id, payload: raw.subarray(offset, offset + len) });
        offset += len;
      }
    } else {
      const payload = raw.subarray(offset, end);
      extensions.push({ id: 0, payload });
      offset += payload.length;
    }
    h.extensions = extensions;
  }
  h.payloadOffset = offset;
  if (h.padding) h.paddingSize = raw[raw.length - 1] as number;
  return h;
}

/** What werift's AES-GCM cipher object holds (lib/rtp/src/srtp/cipher/gcm.ts). */
interface GcmCipher {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  aeadAuthTagLen: number;
}
type EncryptRtp = (this: GcmCipher, header: RtpHeader, payload: Buffer, roc: number) => Buffer;
type DecryptRtp = (this: GcmCipher, cipherText: Buffer, roc: number, header: RtpHeader) => [Buffer, RtpHeader];

/** RFC 7714 section 8.1: 00 00 || SSRC || ROC || SEQ, XOR the 12-byte session salt. */
function gcmIv(salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
  const iv = Buffer.allocUnsafe(12);
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq & 0xffff, 10);
  for (let i = 0; i < 12; i += 1) iv[i] = (iv[i] as number) ^ (salt[i] as number);
  return iv;
}

function gcmEncryptRtp(this: GcmCipher, header: RtpHeader, payload: Buffer, roc: number): Buffer {
  const hdr = header.serialize(header.serializeSize);
  const iv = gcmIv(this.srtpSessionSalt, header.ssrc, roc, header.sequenceNumber);
  const cipher = createCipheriv('aes-128-gcm', this.srtpSessionKey, iv);
  cipher.setAAD(hdr);
  const enc = cipher.update(payload);
  cipher.final();
  const tag = cipher.getAuthTag();
  const out = Buffer.allocUnsafe(hdr.length + enc.length + tag.length);
  hdr.copy(out, 0);
  enc.copy(out, hdr.length);
  tag.copy(out, hdr.length + enc.length);
  return out;
}

function gcmDecryptRtpOr(original: DecryptRtp): DecryptRtp {
  return function (this: GcmCipher, cipherText, roc, header) {
    const authTagOffset = cipherText.length - this.aeadAuthTagLen;
    const { payloadOffset } = header;
    // werift's parse checked the lengths; a padded packet keeps werift's own path (its padding rules)
    if (header.padding || payloadOffset > authTagOffset) return original.call(this, cipherText, roc, header);
    const iv = gcmIv(this.srtpSessionSalt, header.ssrc, roc, header.sequenceNumber);
    const decipher = createDecipheriv('aes-128-gcm', this.srtpSessionKey, iv);
    decipher.setAAD(cipherText.subarray(0, payloadOffset));
    decipher.setAuthTag(cipherText.subarray(authTagOffset));
    const dec = decipher.update(cipherText.subarray(payloadOffset, authTagOffset));
    try {
      decipher.final();
    } catch {
      return original.call(this, cipherText, roc, header); // throws werift's SrtpAuthenticationError
    }
    const dst = Buffer.allocUnsafe(authTagOffset);
    cipherText.copy(dst, 0, 0, payloadOffset);
    dec.copy(dst, payloadOffset);
    header.paddingSize = 0; // werift's finalizeSrtpRtpHeader for an unpadded packet
    return [dst, header];
  };
}

interface Feedback {
  type: string;
  parameter?: string;
}
interface Codec {
  payloadType: number;
  rtcpFeedback: Feedback[];
  mimeType: string;
}

interface ReceiverCodecs {
  codecs: Record<number, Codec>;
}

/** `codecArray[0]` of werift's receiver: the codec of the lowest payload type (ties: the first, as werift's sort). */
function lowestCodec(codecs: Record<number, Codec>): Codec | undefined {
  let lowest: Codec | undefined;
  for (const codec of Object.values(codecs))
    if (lowest === undefined || codec.payloadType < lowest.payloadType) lowest = codec;
  return lowest;
}

/**
 * Each receiver's lowest codec, kept until werift changes its codec table: only `prepareReceive` writes it
 * (at negotiation), and a receiver given another table object is looked up afresh.
 */
const lowestCodecs = new WeakMap<object, { codecs: object; codec: Codec | undefined }>();

function lowestCodecOf(receiver: ReceiverCodecs): Codec | undefined {
  const known = lowestCodecs.get(receiver);
  if (known?.codecs === receiver.codecs) return known.codec;
  const codec = lowestCodec(receiver.codecs);
  lowestCodecs.set(receiver, { codecs: receiver.codecs, codec });
  return codec;
}

const codecNames = new WeakMap<Codec, { mimeType: string; name: string | undefined }>();

function installReceiverGetters(): void {
  const receiver = RTCRtpReceiver.prototype as unknown as { prepareReceive: (this: object, params: unknown) => void };
  const prepareReceive = receiver.prepareReceive;
  receiver.prepareReceive = function (this: object, params: unknown) {
    lowestCodecs.delete(this);
    prepareReceive.call(this, params);
  };
  Object.defineProperty(RTCRtpReceiver.prototype, 'twccEnabled', {
    configurable: true,
    get(this: ReceiverCodecs) {
      return lowestCodecOf(this)?.rtcpFeedback.find((f) => f.type === 'transport-cc');
    },
  });
  Object.defineProperty(RTCRtpReceiver.prototype, 'nackEnabled', {
    configurable: true,
    get(this: ReceiverCodecs) {
      return lowestCodecOf(this)?.rtcpFeedback.find((f) => f.type === 'nack');
    },
  });
  Object.defineProperty(RTCRtpCodecParameters.prototype, 'name', {
    configurable: true,
    get(this: Codec) {
      const known = codecNames.get(this);
      if (known?.mimeType === this.mimeType) return known.name;
      const name = this.mimeType.split('/')[1];
      codecNames.set(this, { mimeType: this.mimeType, name });
      return name;
    },
  });
}

/** werift's originals, kept for the tests that compare against them and for the error paths */
export interface WeriftOriginals {
  deSerialize: (raw: Buffer) => RtpHeader;
  gcmEncryptRtp: EncryptRtp;
  gcmDecryptRtp: DecryptRtp;
  sendRtp: ReturnType<typeof installFastSender>;
}

let originals: WeriftOriginals | undefined;

/** werift's package.json, found above its entry point (its `exports` do not list package.json) */
function installedWeriftVersion(): string | undefined {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('werift'));
    for (let depth = 0; depth < 6; depth += 1, dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'werift') return pkg.version;
    }
  } catch {
    // not resolvable: leave werift alone
  }
  return undefined;
}

/** The prototype of werift's AES-GCM SRTP cipher, reached through a throwaway session (the class is not exported). */
function gcmCipherPrototype(): { encryptRtp: EncryptRtp; decryptRtp: DecryptRtp } {
  const key = Buffer.alloc(16);
  const salt = Buffer.alloc(12);
  const session = new SrtpSession({
    profile: PROFILE_AEAD_AES_128_GCM,
    keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt },
  });
  const cipher = (session.localContext as unknown as { cipher: object }).cipher;
  return Object.getPrototypeOf(cipher) as { encryptRtp: EncryptRtp; decryptRtp: DecryptRtp };
}

/**
 * Installs the replacements once per process (idempotent); returns werift's originals, or undefined when the
 * installed werift is not the version they mirror (then nothing is replaced).
 */
export function installWeriftFastPath(): WeriftOriginals | undefined {
  if (originals) return originals;
  if (installedWeriftVersion() !== FAST_PATH_WERIFT_VERSION) return undefined;
  const gcm = gcmCipherPrototype();
  const deSerialize = RtpHeader.deSerialize.bind(RtpHeader);
  const sendRtp = installFastSender();
  installReceiverGetters();
  originals = { deSerialize, gcmEncryptRtp: gcm.encryptRtp, gcmDecryptRtp: gcm.decryptRtp, sendRtp };
  RtpHeader.deSerialize = (raw: Buffer): RtpHeader => parseHeader(raw) ?? deSerialize(raw);
  gcm.encryptRtp = gcmEncryptRtp;
  gcm.decryptRtp = gcmDecryptRtpOr(originals.gcmDecryptRtp);
  return originals;
}
