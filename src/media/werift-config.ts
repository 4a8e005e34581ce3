/**
 * werift peer-connection settings. Peers bind to one address (loopback by default, see docs/networks.md) and
 * use the candidates the target offers, whatever their address. werift's default `iceServers` is a public STUN
 * server: it is always replaced, by the scenario's servers or by none. The reference SFU may be told an address
 * to announce in its candidates (NAT, containers) and a UDP port range.
 */
import { type PeerConfig, RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters } from 'werift';

import { isLoopbackAddress, LOOPBACK_NETWORK, type PeerNetwork } from '../protocol/peer-network.js';
import { IDENTITY_EXTENSION_URIS } from './rtp-identity.js';
import { installWeriftFastPath } from './werift-fast-path.js';

/**
 * Addresses of the links a run makes to its own network namespaces (src/network/links.ts): 10.213.0.0/16.
 * Peers behind an impaired link, and the SFU for them, use these instead of loopback.
 */
export const LINK_ADDRESS_PREFIX = '10.213.';

/**
 * The address this process's peers bind to: the link's address when the runner sits in a run's namespace
 * (GLASSBENCH_BIND_ADDRESS, set by the runner pool: the only address there), else the run's bind address.
 */
export function localBindAddress(network: PeerNetwork = LOOPBACK_NETWORK): string {
  const address = process.env['GLASSBENCH_BIND_ADDRESS'];
  return address && address.startsWith(LINK_ADDRESS_PREFIX) ? address : network.bindAddress;
}

/** Where a werift connection's sockets bind and what host candidates it offers. */
export interface SocketPlan {
  /** local IPv4 address to bind; `0.0.0.0`: every interface */
  bindAddress: string;
  /** the address written in the host candidate instead of the bound one (the reference SFU's --announce) */
  announceAddress?: string;
  /** UDP ports to bind from, inclusive (werift needs min < max) */
  portRange?: [number, number];
}

function socketConfig(plan: SocketPlan): Partial<PeerConfig> {
  const range = plan.portRange ? { icePortRange: plan.portRange } : {};
  if (plan.bindAddress === '0.0.0.0') {
    // every interface: werift enumerates them itself (loopback excluded) and binds each candidate's socket there
    return { iceUseIpv4: true, iceUseIpv6: false, ...range };
  }
  return {
    // werift writes each listed address into a host candidate and binds its socket to iceInterfaceAddresses
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [plan.announceAddress ?? plan.bindAddress],
    iceInterfaceAddresses: { udp4: plan.bindAddress },
    ...range,
  };
}

/** The codecs every glassbench peer and the reference SFU negotiate, as an error message names them. */
export const ACCEPTED_CODECS = 'video VP8/90000, audio opus/48000/2';

/** The codecs an SDP offer lists (its a=rtpmap lines, `kind name/clock[/channels]`), for errors that compare. */
export function offeredCodecs(sdp: string): string[] {
  const out = new Set<string>();
  let kind = '';
  for (const line of sdp.split(/\r?\n/)) {
    const media = /^m=(\w+) /.exec(line);
    if (media) kind = media[1] ?? '';
    const map = /^a=rtpmap:\d+ ([\w.-]+\/\d+(?:\/\d+)?)/.exec(line);
    if (map && !/^(rtx|red|ulpfec|flexfec-03)\//i.test(map[1] ?? '')) out.add(`${kind} ${map[1]}`);
  }
  return [...out];
}

function mediaConfig(): Partial<PeerConfig> {
  return {
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
 * A peer's config (synthetic publishers and subscribers), fresh each call: werift writes extension ids into the
 * objects it is given. Without a network: loopback, no ICE servers.
 */
export function peerConfig(network: PeerNetwork = LOOPBACK_NETWORK): Partial<PeerConfig> {
  installWeriftFastPath(); // once per process, before the first connection carries a packet
  return {
    ...socketConfig({ bindAddress: localBindAddress(network) }),
    iceServers: network.iceServers.map((s) => ({ ...s })),
    iceTransportPolicy: network.iceTransportPolicy,
    ...mediaConfig(),
  };
}

/** A reference-SFU session's config: no ICE servers (it is the host peers reach), bound where the request came in. */
export function sfuPeerConfig(plan: SocketPlan): Partial<PeerConfig> {
  installWeriftFastPath();
  return { ...socketConfig(plan), iceServers: [], ...mediaConfig() };
}

/**
 * Whether a reference-SFU session keeps only loopback and run-link candidates of the peer's offer: when it
 * answers on loopback or on a run's own link and announces nothing else, so a default run never sends to any
 * other address (browsers offer LAN addresses too). Bound or announced elsewhere, it uses what peers offer.
 */
export function sfuFiltersCandidates(bindAddress: string, announceAddress: string | undefined): boolean {
  if (announceAddress !== undefined && !isLoopbackAddress(announceAddress)) return false;
  return isLoopbackAddress(bindAddress) || bindAddress.startsWith(LINK_ADDRESS_PREFIX);
}

/** Drops ICE candidates that are neither on loopback nor on a run's own links from a remote SDP. */
export function keepLoopbackCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      const address = line.split(' ')[4] ?? '';
      return isLoopbackAddress(address) || address.startsWith(LINK_ADDRESS_PREFIX);
    })
    .join('\r\n');
}

/**
 * A browser's offer as a peer bound to `bindAddress` would make it: Chromium gathers host candidates on every
 * interface and cannot be told one, so its host candidates on other addresses are left out of the offer
 * (server-reflexive and relayed ones stay). Unchanged for `0.0.0.0`, or when no candidate would be left.
 */
export function offerFromBindAddress(sdp: string, bindAddress: string): string {
  if (bindAddress === '0.0.0.0') return sdp;
  const lines = sdp.split(/\r?\n/);
  const kept = lines.filter((line) => {
    if (!line.startsWith('a=candidate:')) return true;
    const fields = line.split(' ');
    return fields[7] !== 'host' || fields[4] === bindAddress;
  });
  if (!kept.some((line) => line.startsWith('a=candidate:'))) return sdp;
  return kept.join('\r\n');
}
