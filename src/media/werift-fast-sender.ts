/**
 * werift 0.24.4's `RTCRtpSender.sendRtp` with the same effects and less work per packet (installed by
 * werift-fast-path.ts). Measured (`node --cpu-prof`, 100 subscribers, docs/benchmarks.md part b): werift's
 * `ntpTime()` formats the clock as a decimal string, splits it and goes through a buffer writer and a BigInt,
 * 10% of the reference SFU's fan-out; `uint32Add` goes through BigInt twice a packet; the header extensions are
 * rebuilt with map/filter/find/sort. Here: the same NTP value from the same clock reading without the buffer,
 * 32-bit sums on numbers, and one pass over the extensions. Everything the sender records (statistics, the NACK
 * cache, the RED encoder, RTCP reports, the bandwidth estimator) is as werift does it.
 */
import {
  RTCRtpSender,
  RTP_EXTENSION_URI,
  RtpPacket,
  serializeAbsSendTime,
  serializeRepairedRtpStreamId,
  serializeSdesMid,
  serializeSdesRTPStreamID,
  serializeTransportWideCC,
  uint32Add,
} from 'werift';

/** werift's RTP_HISTORY_SIZE: the NACK cache holds this many packets */
const RTP_HISTORY_SIZE = 128;
const NTP_EPOCH_OFFSET_MS = -Date.UTC(1900, 0, 1);

/**
 * werift's ntpTime() for a clock reading `nowMs` (performance.timeOrigin + performance.now()): the whole
 * seconds since 1900 in the high word and, as werift writes it, the decimal digits of the fraction read as an
 * integer in the low word (not a binary fraction; the quirk is kept so reports read as werift's would).
 */
export function ntpTimeAt(nowMs: number): bigint {
  const text = String((nowMs + NTP_EPOCH_OFFSET_MS) / 1e3);
  const dot = text.indexOf('.');
  const seconds = Number(dot < 0 ? text : text.slice(0, dot));
  const fraction = dot < 0 ? 0 : Number(text.slice(dot + 1));
  if (!Number.isSafeInteger(seconds) || seconds >= 2 ** 32 || fraction >= 2 ** 32 || seconds < 0) {
    throw new RangeError(`werift-fast-sender ntpTimeAt: ${text} does not fit NTP's 32-bit words`);
  }
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

/** (a + b) mod 2^32 as werift's uint32Add, on numbers when both are integers (BigInt only otherwise). */
function add32(a: number, b: number): number {
  return Number.isInteger(a) && Number.isInteger(b) ? (a + b) >>> 0 : uint32Add(a, b);
}

interface Extension {
  id: number;
  payload: Buffer;
}

/** The sender's fields sendRtp touches (werift's RTCRtpSender, lib/webrtc/src/media/rtpSender.ts). */
interface SenderState {
  dtlsTransport: {
    state: string;
    transportSequenceNumber: number;
    sendRtp(payload: Buffer, header: RtpPacket['header']): Promise<number>;
  };
  codec?: { payloadType: number };
  ssrc: number;
  timestampOffset: number;
  seqOffset: number;
  timestamp: number;
  sequenceNumber: number;
  headerExtensions: { id: number; uri: string }[];
  mid?: string;
  rtpStreamId?: string;
  repairedRtpStreamId?: string;
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  octetCount: number;
  headerBytesSent: number;
  packetCount: number;
  rtpCache: RtpPacket[];
  redRedundantPayloadType?: number;
  redEncoder: { push(block: object): void; build(): { serialize(): Buffer } };
  runRtcp(): void;
  senderBWE: { rtpPacketSent(info: object): void };
}

/** The extension payload werift's sender writes for `uri`, or undefined where it writes none. */
function senderExtension(sender: SenderState, uri: string, ntpTimestamp: bigint): Buffer | undefined {
  switch (uri) {
    case RTP_EXTENSION_URI.sdesMid:
      return sender.mid ? serializeSdesMid(sender.mid) : undefined;
    case RTP_EXTENSION_URI.sdesRTPStreamID:
      return sender.rtpStreamId ? serializeSdesRTPStreamID(sender.rtpStreamId) : undefined;
    case RTP_EXTENSION_URI.repairedRtpStreamId:
      return sender.repairedRtpStreamId ? serializeRepairedRtpStreamId(sender.repairedRtpStreamId) : undefined;
    case RTP_EXTENSION_URI.transportWideCC:
      sender.dtlsTransport.transportSequenceNumber = (sender.dtlsTransport.transportSequenceNumber + 1) & 0xffff;
      return serializeTransportWideCC(sender.dtlsTransport.transportSequenceNumber);
    case RTP_EXTENSION_URI.absSendTime:
      return serializeAbsSendTime(ntpTimestamp);
    default:
      return undefined;
  }
}

async function sendRtp(this: SenderState, packet: Buffer | RtpPacket): Promise<void> {
  if (this.dtlsTransport.state !== 'connected' || !this.codec) return;
  const rtp = Buffer.isBuffer(packet) ? RtpPacket.deSerialize(packet) : packet;
  const { header, payload } = rtp;
  header.ssrc = this.ssrc;
  header.payloadType = this.codec.payloadType;
  header.timestamp = add32(header.timestamp, this.timestampOffset);
  header.sequenceNumber = (header.sequenceNumber + this.seqOffset) & 0xffff;
  this.timestamp = header.timestamp;
  this.sequenceNumber = header.sequenceNumber;
  // werift's clock, read as werift reads it: what its RTCP sender reports carry must not change with us
  // eslint-disable-next-line no-restricted-properties -- werift's own clock, mirrored
  const ntpTimestamp = ntpTimeAt(performance.timeOrigin + performance.now());
  // werift's order: the sender's own extensions, then the packet's (same id: the packet's payload), by id
  const original = header.extensions as Extension[];
  const extensions: Extension[] = [];
  for (const extension of this.headerExtensions) {
    const ext = senderExtension(this, extension.uri, ntpTimestamp);
    if (ext) extensions.push({ id: extension.id, payload: ext });
  }
  for (const ext of original) {
    const exist = extensions.find((v) => v.id === ext.id);
    if (exist) exist.payload = ext.payload;
    else extensions.push(ext);
  }
  if (extensions.length > 1) extensions.sort((a, b) => a.id - b.id);
  header.extensions = extensions;
  this.ntpTimestamp = ntpTimestamp;
  this.rtpTimestamp = header.timestamp;
  this.octetCount += payload.length;
  this.headerBytesSent += header.serializeSize;
  this.packetCount = add32(this.packetCount, 1);
  this.rtpCache[header.sequenceNumber % RTP_HISTORY_SIZE] = rtp;
  let rtpPayload = payload;
  if (this.redRedundantPayloadType) {
    this.redEncoder.push({ block: rtpPayload, timestamp: header.timestamp, blockPT: this.redRedundantPayloadType });
    rtpPayload = this.redEncoder.build().serialize();
  }
  const size = await this.dtlsTransport.sendRtp(rtpPayload, header);
  this.runRtcp();
  // eslint-disable-next-line no-restricted-properties -- werift's milliTime, mirrored (its bandwidth estimator)
  const millitime = Date.now();
  this.senderBWE.rtpPacketSent({
    wideSeq: this.dtlsTransport.transportSequenceNumber,
    size,
    sendingAtMs: millitime,
    sentAtMs: millitime,
  });
}

type SendRtp = (this: RTCRtpSender, rtp: Buffer | RtpPacket) => Promise<void>;

let weriftSendRtp: SendRtp | undefined;

/** Puts the cheaper sendRtp on werift's RTCRtpSender (once; werift-fast-path.ts checks the version); returns werift's own. */
export function installFastSender(): SendRtp {
  const prototype = RTCRtpSender.prototype as unknown as { sendRtp: SendRtp };
  weriftSendRtp ??= prototype.sendRtp;
  prototype.sendRtp = sendRtp as unknown as SendRtp;
  return weriftSendRtp;
}
