/**
 * How peers reach the target over the network: the ICE servers they use, whether only relayed candidates are
 * allowed, the local address they bind to and the CA they trust for https signaling. The harness resolves it
 * once per run (src/orchestrator/peer-network.ts) and sends it to every peer in its start command: it is data.
 */

/** One entry of RTCConfiguration.iceServers. */
export interface IceServerConfig {
  /** stun:, turn: or turns: URLs */
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface PeerNetwork {
  /**
   * the local IPv4 address peers bind their media sockets to and offer as their host candidate; `0.0.0.0` binds
   * every interface (werift then offers one host candidate per interface)
   */
  bindAddress: string;
  /** STUN and TURN servers; default none (werift's own default is a public STUN server, never used here) */
  iceServers: IceServerConfig[];
  /** `relay`: only TURN-relayed candidates; default `all` */
  iceTransportPolicy: 'all' | 'relay';
  /** PEM file of a private CA that signaling over https trusts (besides Node's built-in roots) */
  caFile?: string;
}

/** What peers use when nothing is configured: loopback, no ICE servers. */
export const LOOPBACK_NETWORK: PeerNetwork = { bindAddress: '127.0.0.1', iceServers: [], iceTransportPolicy: 'all' };

export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}
