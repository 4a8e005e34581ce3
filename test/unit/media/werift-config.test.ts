import { afterEach, describe, expect, it } from 'vitest';

import {
  keepLoopbackCandidates,
  offeredCodecs,
  offerFromBindAddress,
  peerConfig,
  sfuFiltersCandidates,
  sfuPeerConfig,
} from '../../../src/media/werift-config.js';

const candidate = (address: string, type = 'host'): string =>
  `a=candidate:1 1 udp 2130706431 ${address} 50000 typ ${type}`;
const sdp = (...lines: string[]): string => ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', ...lines, ''].join('\r\n');

describe('werift config', () => {
  afterEach(() => {
    delete process.env['GLASSBENCH_BIND_ADDRESS'];
  });

  it('binds a peer to the run bind address with the run ICE servers, never werift defaults', () => {
    expect(peerConfig()).toMatchObject({
      iceServers: [],
      iceTransportPolicy: 'all',
      iceUseIpv4: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
    });
    const turn = { urls: 'turn:10.9.0.3:3478', username: 'u', credential: 'p' };
    const relay = peerConfig({ bindAddress: '10.9.0.2', iceServers: [turn], iceTransportPolicy: 'relay' });
    expect(relay).toMatchObject({
      iceServers: [turn],
      iceTransportPolicy: 'relay',
      iceAdditionalHostAddresses: ['10.9.0.2'],
      iceInterfaceAddresses: { udp4: '10.9.0.2' },
    });
    const every = peerConfig({ bindAddress: '0.0.0.0', iceServers: [], iceTransportPolicy: 'all' });
    expect(every.iceUseIpv4).toBe(true);
    expect(every.iceInterfaceAddresses).toBeUndefined();
  });

  it("a runner in a run's link namespace binds to its link address whatever the run says", () => {
    process.env['GLASSBENCH_BIND_ADDRESS'] = '10.213.0.6';
    expect(peerConfig().iceInterfaceAddresses).toEqual({ udp4: '10.213.0.6' });
  });

  it('the reference SFU announces --announce while binding where the request came in, in its port range', () => {
    expect(
      sfuPeerConfig({ bindAddress: '10.9.0.1', announceAddress: '203.0.113.7', portRange: [40000, 40099] }),
    ).toMatchObject({
      iceServers: [],
      iceAdditionalHostAddresses: ['203.0.113.7'],
      iceInterfaceAddresses: { udp4: '10.9.0.1' },
      icePortRange: [40000, 40099],
    });
  });

  it('the reference SFU drops foreign candidates only on loopback or a run link', () => {
    expect(sfuFiltersCandidates('127.0.0.1', undefined)).toBe(true);
    expect(sfuFiltersCandidates('10.213.0.1', undefined)).toBe(true);
    expect(sfuFiltersCandidates('10.231.0.1', undefined)).toBe(false);
    expect(sfuFiltersCandidates('10.213.0.1', '203.0.113.7')).toBe(false);
    expect(keepLoopbackCandidates(sdp(candidate('127.0.0.1'), candidate('192.168.1.4')))).toBe(
      sdp(candidate('127.0.0.1')),
    );
  });

  it("a browser's offer keeps host candidates on the bind address, and every reflexive or relayed one", () => {
    const offer = sdp(
      candidate('127.0.0.1'),
      candidate('10.9.0.2'),
      candidate('198.51.100.9', 'srflx raddr 10.9.0.2 rport 50000'),
      candidate('10.9.0.3', 'relay raddr 10.9.0.2 rport 50000'),
    );
    expect(offerFromBindAddress(offer, '10.9.0.2')).toBe(
      sdp(
        candidate('10.9.0.2'),
        candidate('198.51.100.9', 'srflx raddr 10.9.0.2 rport 50000'),
        candidate('10.9.0.3', 'relay raddr 10.9.0.2 rport 50000'),
      ),
    );
    expect(offerFromBindAddress(offer, '0.0.0.0')).toBe(offer);
    // nothing on that address: the offer goes as Chromium made it rather than with no candidate at all
    expect(offerFromBindAddress(sdp(candidate('10.9.0.2')), '10.1.1.1')).toBe(sdp(candidate('10.9.0.2')));
  });
});

describe('offeredCodecs', () => {
  it('lists the media codecs of an offer by kind, without retransmission and FEC formats', () => {
    const sdp = [
      'v=0',
      'm=video 9 UDP/TLS/RTP/SAVPF 102 103 104',
      'a=rtpmap:102 H264/90000',
      'a=rtpmap:103 rtx/90000',
      'a=rtpmap:104 ulpfec/90000',
      'm=audio 9 UDP/TLS/RTP/SAVPF 0 111',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:111 opus/48000/2',
      '',
    ].join('\r\n');
    expect(offeredCodecs(sdp)).toEqual(['video H264/90000', 'audio PCMU/8000', 'audio opus/48000/2']);
    expect(offeredCodecs('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n')).toEqual([]);
  });
});
