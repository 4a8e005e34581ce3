/**
 * werift peer-connection settings for loopback-only operation (field notes): no STUN servers (werift's
 * default is a public one), host candidates on 127.0.0.1 only, and sockets bound to 127.0.0.1.
 */
import { type PeerConfig, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters } from 'werift';

import { IDENTITY_EXTENSION_URIS } from './rtp-identity.js';

/**
 * Addresses of the links a run makes to its own network namespaces (src/network/links.ts): 10.213.0.0/16.
 * Peers behind an impaired link, and the SFU for them, use these instead of loopback.
 */
export const LINK_ADDRESS_PREFIX = '10.213.';

/** The address this process's peers bind to: loopback, or its link's address inside a run's namespace. */
export function localBindAddress(): string {
  const address = process.env['GLASSBENCH_BIND_ADDRESS'];
  return address && address.startsWith(LINK_ADDRESS_PREFIX) ? address : '127.0.0.1';
}

/** A fresh config each call: werift writes extension ids into the objects it is given. */
export function loopbackPeerConfig(address = localBindAddress()): Partial<PeerConfig> {
  return {
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [address],
    iceInterfaceAddresses: { udp4: address },
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
        }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
    headerExtensions: {
      video: IDENTITY_EXTENSION_URIS.map((uri) => new RTCRtpHeaderExtensionParameters({ uri })),
      audio: [],
    },
  };
}

/**
 * Drops ICE candidates that are neither on loopback nor on a run's own links from a remote SDP (browsers may
 * offer LAN addresses): nothing is ever sent to any other address.
 */
export function keepLoopbackCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      const address = line.split(' ')[4] ?? '';
      return (
        address === '127.0.0.1' ||
        address === '::1' ||
        address === 'localhost' ||
        address.startsWith(LINK_ADDRESS_PREFIX)
      );
    })
    .join('\r\n');
}
