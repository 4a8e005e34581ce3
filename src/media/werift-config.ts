/**
 * werift peer-connection settings for loopback-only operation (field notes): no STUN servers (werift's
 * default is a public one), host candidates on 127.0.0.1 only, and sockets bound to 127.0.0.1.
 */
import {
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  type PeerConfig,
} from 'werift';
import { IDENTITY_EXTENSION_URIS } from './rtp-identity.js';

/** A fresh config each call: werift writes extension ids into the objects it is given. */
export function loopbackPeerConfig(): Partial<PeerConfig> {
  return {
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
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

/** Drops ICE candidates that are not on loopback from a remote SDP (browsers may offer LAN addresses). */
export function keepLoopbackCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      const address = line.split(' ')[4] ?? '';
      return address === '127.0.0.1' || address === '::1' || address === 'localhost';
    })
    .join('\r\n');
}
