import { afterEach, describe, expect, it, vi } from 'vitest';
import { ntpTime, RTCRtpSender, RtpHeader, RtpPacket } from 'werift';

import { installFastSender, ntpTimeAt } from '../../../src/media/werift-fast-sender.js';

const weriftSendRtp = installFastSender();

afterEach(() => {
  vi.restoreAllMocks();
});

/** A sender as werift sets one up once connected, its datagrams caught instead of encrypted and sent. */
function connectedSender(): { sender: RTCRtpSender; sent: string[] } {
  const sent: string[] = [];
  const sender = new RTCRtpSender('video');
  const state = sender as unknown as Record<string, unknown>;
  state['dtlsTransport'] = {
    state: 'connected',
    transportSequenceNumber: 7,
    sendRtp: (payload: Buffer, header: RtpHeader): Promise<number> => {
      sent.push(new RtpPacket(header, payload).serialize().toString('hex'));
      return Promise.resolve(payload.length + header.serializeSize);
    },
  };
  state['codec'] = { payloadType: 96 };
  state['ssrc'] = 0x11223344;
  state['seqOffset'] = 40_000;
  state['timestampOffset'] = 0xfffffff0; // wraps the 32-bit timestamp
  state['mid'] = '1';
  state['headerExtensions'] = [
    { id: 1, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
    { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
    { id: 4, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
  ];
  state['runRtcp'] = () => undefined; // RTCP reports run on timers; what they read is compared below
  return { sender, sent };
}

function packets(): RtpPacket[] {
  return Array.from({ length: 40 }, (_, i) => {
    const header = new RtpHeader({
      sequenceNumber: (65_520 + i) & 0xffff,
      timestamp: 3000 * i,
      marker: i % 4 === 3,
      payloadType: 100,
      ssrc: 5,
      // a glassbench frame id (id 2) and one colliding with the sender's mid (id 1): the packet's payload wins
      extensions: [
        { id: 2, payload: Buffer.from([i, i + 1, i + 2]) },
        ...(i % 5 === 0 ? [{ id: 1, payload: Buffer.from('x') }] : []),
      ],
    });
    return new RtpPacket(header, Buffer.alloc(100 + i, i));
  });
}

describe('werift fast path: RTCRtpSender.sendRtp', () => {
  it('sends the same bytes and keeps the same records as werift, packet after packet', async () => {
    const clock = vi.spyOn(performance, 'now');
    const theirs = connectedSender();
    const ours = connectedSender();
    expect(ours.sender.sendRtp).not.toBe(weriftSendRtp);
    for (const [i, packet] of packets().entries()) {
      clock.mockReturnValue(1000 + i * 33.3);
      await weriftSendRtp.call(theirs.sender, packet.clone());
      await ours.sender.sendRtp(packet.clone());
    }
    expect(ours.sent).toEqual(theirs.sent);
    expect(ours.sent).toHaveLength(40);
    const pick = (s: RTCRtpSender) => {
      const r = s as unknown as Record<string, unknown>;
      const cache = r['rtpCache'] as (RtpPacket | undefined)[];
      return {
        ntpTimestamp: r['ntpTimestamp'],
        rtpTimestamp: r['rtpTimestamp'],
        octetCount: r['octetCount'],
        packetCount: r['packetCount'],
        headerBytesSent: r['headerBytesSent'],
        sequenceNumber: r['sequenceNumber'],
        timestamp: r['timestamp'],
        cached: cache.map((p) => p?.serialize().toString('hex')),
        transportSequenceNumber: (r['dtlsTransport'] as { transportSequenceNumber: number }).transportSequenceNumber,
      };
    };
    expect(pick(ours.sender)).toEqual(pick(theirs.sender));
  });

  it('reads the NTP time as werift does, the fraction included', () => {
    const clock = vi.spyOn(performance, 'now');
    // fractional and whole seconds (werift writes a missing fraction as 0)
    for (const ms of [0, 0.5, 1, 12.345, 999.9999, 86_400_000.25, 123_456_789.125]) {
      const nowMs = performance.timeOrigin + ms;
      clock.mockReturnValue(ms);
      expect(ntpTimeAt(nowMs)).toBe(ntpTime());
    }
  });
});
