/**
 * The network settings every peer of a run gets (src/protocol/peer-network.ts), resolved once before runners
 * start. The bind address: the scenario's (or --bind), else loopback for the built-in reference SFU and loopback
 * targets, else the local address of this machine's route to the target (to its TURN server when relay-only),
 * so peers offer the one address the target can reach them at and never bind interfaces it cannot.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';

import { GlassbenchError } from '../errors.js';
import { isLoopbackAddress, type PeerNetwork } from '../protocol/peer-network.js';
import type { Scenario } from '../scenario/types.js';

/**
 * The local address the kernel would send from to reach `host`: a UDP socket's connect() only picks the route,
 * it sends nothing.
 */
export async function routeAddressTo(host: string, port: number): Promise<string> {
  const { address } = await lookup(host, { family: 4 });
  if (isLoopbackAddress(address)) return '127.0.0.1';
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, address, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** host and port of the first turn:/turns: URL (relay-only runs reach only it). */
function firstTurnServer(scenario: Scenario): { host: string; port: number } | undefined {
  if (scenario.target.type !== 'external') return undefined;
  for (const server of scenario.target.iceServers ?? [])
    for (const url of Array.isArray(server.urls) ? server.urls : [server.urls]) {
      const match = /^(turns?):([^:?]+|\[[^\]]+\])(?::(\d+))?/.exec(url);
      if (match?.[2]) return { host: match[2], port: Number(match[3] ?? (match[1] === 'turns' ? 5349 : 3478)) };
    }
  return undefined;
}

export async function resolvePeerNetwork(scenario: Scenario): Promise<PeerNetwork> {
  const target = scenario.target;
  if (target.type === 'reference')
    return { bindAddress: scenario.bindAddress ?? '127.0.0.1', iceServers: [], iceTransportPolicy: 'all' };
  // a Janus target (docs/janus.md) has no ICE servers or CA of its own: only the route to its API
  const external = target.type === 'external' ? target : undefined;
  const network: PeerNetwork = {
    bindAddress: scenario.bindAddress ?? '',
    iceServers: external?.iceServers ?? [],
    iceTransportPolicy: external?.iceTransportPolicy ?? 'all',
    ...(external?.ca ? { caFile: external.ca } : {}),
  };
  if (network.bindAddress !== '') return network;
  const url = new URL(external ? external.whipUrl : target.type === 'janus' ? target.url : '');
  const turn = network.iceTransportPolicy === 'relay' ? firstTurnServer(scenario) : undefined;
  const host = turn?.host ?? url.hostname.replace(/^\[|\]$/g, '');
  const port = turn?.port ?? (Number(url.port) || (url.protocol === 'https:' ? 443 : 80));
  try {
    network.bindAddress = await routeAddressTo(host, port);
  } catch (error) {
    throw new GlassbenchError(
      'RUN_FAILED',
      `cannot find the local address that reaches ${host}: ${(error as Error).message}; set bindAddress (or --bind)`,
      { cause: error },
    );
  }
  return network;
}

/** The summary's note on how peers reached an external target. */
export function describePeerNetwork(network: PeerNetwork): string {
  const servers = network.iceServers.length;
  return `peers bound to ${network.bindAddress === '0.0.0.0' ? 'every interface' : network.bindAddress}, ${servers === 0 ? 'no ICE server' : `${servers} ICE server(s)`}, ${network.iceTransportPolicy === 'relay' ? 'relay-only' : 'every candidate'}${network.caFile ? `, trusting the CA in ${network.caFile}` : ''}`;
}
