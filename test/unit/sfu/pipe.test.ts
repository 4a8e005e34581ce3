import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';

import { decodePipeMessage, encodeRtp } from '../../../reference-server/cluster/pipe.js';

function packet(): RtpPacket {
  const header = new RtpHeader({
    payloadType: 96,
    sequenceNumber: 65535,
    timestamp: 4_000_000_000,
    ssrc: 0x12345678,
    marker: true,
    extension: true,
    extensions: [
      { id: 5, payload: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) },
      { id: 7, payload: Buffer.from([9, 9]) },
    ],
  });
  return new RtpPacket(header, Buffer.from('a VP8 payload'));
}

describe('the pipe between SFU workers', () => {
  it('carries an RTP packet, its kind and frame key unchanged', () => {
    const rtp = packet();
    const message = decodePipeMessage(encodeRtp(42, 'video', rtp, 'f:3:17'));
    expect(message).toMatchObject({ type: 'rtp', pipeId: 42, kind: 'video', key: 'f:3:17' });
    if (message.type !== 'rtp') throw new Error('not rtp');
    expect(message.rtp.serialize()).toEqual(rtp.serialize());
    expect(message.rtp.header.extensions).toEqual(rtp.header.extensions);
    const audio = decodePipeMessage(encodeRtp(0xffffffff, 'audio', rtp, undefined));
    expect(audio).toMatchObject({ type: 'rtp', pipeId: 0xffffffff, kind: 'audio', key: undefined });
  });

  it('refuses what does not parse: short, unknown type, no RTP after the key', () => {
    expect(() => decodePipeMessage(Buffer.from([2, 0, 0]))).toThrow(/shorter than/);
    expect(() => decodePipeMessage(Buffer.from([9, 0, 0, 0, 1, 0]))).toThrow(/unknown type 9/);
    expect(() => decodePipeMessage(Buffer.from([2, 0, 0, 0, 1, 3, 65, 66, 67, 0x80]))).toThrow(/truncated/);
    expect(() => encodeRtp(1, 'video', packet(), 'k'.repeat(256))).toThrow(/at most 255/);
  });
});
