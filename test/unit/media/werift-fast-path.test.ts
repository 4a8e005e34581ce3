import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RTCRtpCodecParameters,
  RTCRtpReceiver,
  RtpHeader,
  RtpPacket,
  SrtpAuthenticationError,
  SrtpSession,
} from 'werift';

import { installWeriftFastPath, type WeriftOriginals } from '../../../src/media/werift-fast-path.js';

const installed = installWeriftFastPath();
function originalsOrFail(): WeriftOriginals {
  if (!installed) throw new Error('werift-fast-path.test: the fast path did not install (werift version?)');
  return installed;
}

/** An RTP packet's bytes as werift writes them: random fields, csrcs, one- or two-byte extensions, padding. */
const rtpBytes = fc
  .record({
    marker: fc.boolean(),
    payloadType: fc.integer({ min: 0, max: 127 }),
    sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
    timestamp: fc.integer({ min: 0, max: 0xffffffff }),
    ssrc: fc.integer({ min: 0, max: 0xffffffff }),
    csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 3 }),
    twoByte: fc.boolean(),
    extensions: fc.uniqueArray(
      fc.record({ id: fc.integer({ min: 1, max: 14 }), payload: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      { selector: (e) => e.id, maxLength: 4 },
    ),
    payload: fc.uint8Array({ maxLength: 1200 }),
  })
  .map((f) => {
    const header = new RtpHeader({
      marker: f.marker,
      payloadType: f.payloadType,
      sequenceNumber: f.sequenceNumber,
      timestamp: f.timestamp,
      ssrc: f.ssrc,
      csrc: f.csrc,
      extensionProfile: f.twoByte ? 0x1000 : 0xbede,
      extensions: f.extensions.map((e) => ({ id: e.id, payload: Buffer.from(e.payload) })),
    });
    return new RtpPacket(header, Buffer.from(f.payload)).serialize();
  });

/** Plain data of a parsed header, so two parses compare field by field. */
function fields(h: RtpHeader): unknown {
  return JSON.parse(JSON.stringify(h, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
}

describe('werift fast path: RTP header parse', () => {
  it('parses every header exactly as werift does', () => {
    const { deSerialize } = originalsOrFail();
    expect(RtpHeader.deSerialize).not.toBe(deSerialize);
    fc.assert(
      fc.property(rtpBytes, (raw) => {
        expect(fields(RtpHeader.deSerialize(raw))).toEqual(fields(deSerialize(raw)));
      }),
      { numRuns: 300 },
    );
  });

  // (not garbled lengths: werift's own parse is quadratic in a bogus extension length, minutes per packet)
  it('parses a truncated packet as werift does, or throws where werift throws', () => {
    const { deSerialize } = originalsOrFail();
    fc.assert(
      fc.property(rtpBytes, fc.nat(), (raw, cut) => {
        const bytes = raw.subarray(0, cut % (raw.length + 1));
        if (extensionRunsPast(bytes)) {
          // refused at once (the one place it departs from werift: see the next test)
          expect(() => RtpHeader.deSerialize(bytes)).toThrow(RangeError);
          return;
        }
        let expected: unknown;
        try {
          expected = fields(deSerialize(bytes));
        } catch {
          expect(() => RtpHeader.deSerialize(bytes)).toThrow();
          return;
        }
        expect(fields(RtpHeader.deSerialize(bytes))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

/** Whether the packet's header extension block claims more bytes than the packet has. */
function extensionRunsPast(bytes: Buffer): boolean {
  if (bytes.length < 12 || ((bytes[0] as number) & 0x10) === 0) return false;
  const offset = 12 + ((bytes[0] as number) & 0x0f) * 4;
  if (bytes.length < offset + 4) return false;
  return offset + 4 + bytes.readUInt16BE(offset + 2) * 4 > bytes.length;
}

describe('werift fast path: a hostile extension length', () => {
  it('refuses an extension block longer than the packet at once (werift would walk it for minutes)', () => {
    const header = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff]);
    const packet = Buffer.concat([header, Buffer.from([0x10, 0xaa]), Buffer.alloc(100)]);
    expect(() => RtpHeader.deSerialize(packet)).toThrow(/runs past the packet/);
    expect(() => RtpPacket.deSerialize(packet)).toThrow(RangeError);
  });
});

function gcmSessions(): { sender: SrtpSession; receiver: SrtpSession } {
  const a = {
    key: Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'),
    salt: Buffer.from('a0a1a2a3a4a5a6a7a8a9aaab', 'hex'),
  };
  const b = {
    key: Buffer.from('f0e0d0c0b0a090807060504030201000', 'hex'),
    salt: Buffer.from('5a5b5c5d5e5f606162636465', 'hex'),
  };
  const keys = (l: typeof a, r: typeof a) => ({
    localMasterKey: l.key,
    localMasterSalt: l.salt,
    remoteMasterKey: r.key,
    remoteMasterSalt: r.salt,
  });
  return {
    sender: new SrtpSession({ profile: 7, keys: keys(a, b) }),
    receiver: new SrtpSession({ profile: 7, keys: keys(b, a) }),
  };
}

interface Cipher {
  encryptRtp(header: RtpHeader, payload: Buffer, roc: number): Buffer;
  decryptRtp(cipherText: Buffer, roc: number, header: RtpHeader): [Buffer, RtpHeader];
}
const cipherOf = (s: SrtpSession, side: 'localContext' | 'remoteContext'): Cipher =>
  (s[side] as unknown as { cipher: Cipher }).cipher;

describe('werift fast path: SRTP AEAD_AES_128_GCM', () => {
  it('encrypts every packet byte for byte as werift does, for fixed keys', () => {
    const { gcmEncryptRtp } = originalsOrFail();
    const { sender } = gcmSessions();
    const cipher = cipherOf(sender, 'localContext');
    expect(cipher.encryptRtp).not.toBe(gcmEncryptRtp); // the replacement is what runs
    fc.assert(
      fc.property(rtpBytes, fc.integer({ min: 0, max: 0xffffffff }), (raw, roc) => {
        const packet = RtpPacket.deSerialize(raw);
        const ours = cipher.encryptRtp(packet.header, packet.payload, roc);
        const werift = gcmEncryptRtp.call(cipher as never, packet.header, packet.payload, roc);
        expect(ours.toString('hex')).toBe(werift.toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('decrypts what the other side encrypted to werift’s bytes and header', () => {
    const { gcmDecryptRtp } = originalsOrFail();
    const { sender, receiver } = gcmSessions();
    const cipher = cipherOf(receiver, 'remoteContext');
    fc.assert(
      fc.property(rtpBytes, (raw) => {
        const packet = RtpPacket.deSerialize(raw);
        const srtp = cipherOf(sender, 'localContext').encryptRtp(packet.header, packet.payload, 0);
        const header = RtpHeader.deSerialize(srtp.subarray(0, srtp.length - 16));
        const [ours, oursHeader] = cipher.decryptRtp(srtp, 0, header);
        const again = RtpHeader.deSerialize(srtp.subarray(0, srtp.length - 16));
        const [werift, weriftHeader] = gcmDecryptRtp.call(cipher as never, srtp, 0, again);
        expect(ours.toString('hex')).toBe(werift.toString('hex'));
        expect(fields(oursHeader)).toEqual(fields(weriftHeader));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a tampered packet with werift’s own authentication error', () => {
    const { sender, receiver } = gcmSessions();
    const payload = Buffer.alloc(300, 7);
    const srtp = sender.encrypt(payload, new RtpHeader({ payloadType: 96, sequenceNumber: 9, ssrc: 42 }));
    const tampered = Buffer.from(srtp);
    tampered[40] = (tampered[40] as number) ^ 1;
    expect(() => receiver.decrypt(tampered)).toThrow(SrtpAuthenticationError);
    expect(receiver.decrypt(srtp).subarray(12).equals(payload)).toBe(true);
  });
});

describe('werift fast path: receiver codec lookups', () => {
  it('answers twccEnabled and nackEnabled as werift’s sorted codec table does, after a renegotiation too', () => {
    originalsOrFail();
    const receiver = new RTCRtpReceiver({} as never, 'video', 1);
    const werift = (r: RTCRtpReceiver) => {
      const first = (r as unknown as { codecArray: RTCRtpCodecParameters[] }).codecArray[0];
      return {
        twcc: first?.rtcpFeedback.find((f) => f.type === 'transport-cc'),
        nack: first?.rtcpFeedback.find((f) => f.type === 'nack'),
      };
    };
    const ours = (r: RTCRtpReceiver) => {
      const fast = r as unknown as { twccEnabled: unknown; nackEnabled: unknown };
      return { twcc: fast.twccEnabled, nack: fast.nackEnabled };
    };
    const prepare = (codecs: RTCRtpCodecParameters[]) =>
      (receiver as unknown as { prepareReceive(p: unknown): void }).prepareReceive({ codecs, encodings: [] });
    expect(ours(receiver)).toEqual(werift(receiver)); // no codec yet
    prepare([
      new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType: 101 }),
      new RTCRtpCodecParameters({
        mimeType: 'video/VP8',
        clockRate: 90000,
        payloadType: 96,
        rtcpFeedback: [{ type: 'nack' }, { type: 'transport-cc' }],
      }),
    ]);
    expect(ours(receiver)).toEqual(werift(receiver));
    expect(ours(receiver).nack).toEqual({ type: 'nack' });
    // a renegotiation adds a lower payload type without feedback: werift's table and ours both see it
    prepare([new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: 35 })]);
    expect(ours(receiver)).toEqual(werift(receiver));
    expect(ours(receiver).nack).toBeUndefined();
  });

  it('names a codec by its MIME subtype, following a changed MIME type', () => {
    originalsOrFail();
    const codec = new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000 });
    expect(codec.name).toBe('VP8');
    expect(codec.name).toBe('VP8');
    codec.mimeType = 'video/H264';
    expect(codec.name).toBe('H264');
  });
});
