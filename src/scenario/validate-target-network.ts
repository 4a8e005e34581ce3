/**
 * The network keys of a scenario: an external target's `ca`, `iceServers` and `iceTransportPolicy`, and the
 * top-level `bindAddress` (docs/networks.md). Each problem is located; a CA file is read here, so a run never
 * starts with one it cannot use.
 */
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { dirname, resolve } from 'node:path';

import type { IceServerConfig } from '../protocol/peer-network.js';
import type { PathSegment } from './load.js';
import { type Problems, show } from './problems.js';
import type { TargetNetwork } from './types.js';

export const TARGET_NETWORK_KEYS = ['ca', 'iceServers', 'iceTransportPolicy'] as const;

const ICE_SERVER_KEYS = ['urls', 'username', 'credential'];

/** stun:/turn:/turns: host[:port][?transport=udp|tcp] (RFC 7064, RFC 7065); stun: takes no transport */
const ICE_URL = /^(stun|turn|turns):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:(\d{1,5}))?(\?transport=(udp|tcp))?$/;

/** Why `url` is not a usable ICE server URL, or undefined when it is. */
export function iceUrlProblem(url: string): string | undefined {
  const match = ICE_URL.exec(url);
  if (!match) return `must be a stun:, turn: or turns: URL like turn:host:3478?transport=udp, got ${show(url)}`;
  const port = match[4] === undefined ? undefined : Number(match[4]);
  if (port !== undefined && (port < 1 || port > 65535)) return `port must be 1-65535, got ${port}`;
  if (match[1] === 'stun' && match[5] !== undefined) return 'a stun: URL takes no ?transport';
  return undefined;
}

function toIceServer(problems: Problems, raw: unknown, path: PathSegment[]): IceServerConfig | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(path, `must be { urls, username?, credential? }, got ${show(raw)}`);
    return undefined;
  }
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry))
    if (!ICE_SERVER_KEYS.includes(key))
      problems.add([...path, key], `unknown key (known here: ${ICE_SERVER_KEYS.join(', ')})`, { key: true });
  const urls = entry['urls'];
  const list = typeof urls === 'string' ? [urls] : Array.isArray(urls) ? urls : undefined;
  if (!list || list.length === 0) {
    problems.add([...path, 'urls'], `must be a URL or a non-empty list of URLs, got ${show(urls)}`);
    return undefined;
  }
  let ok = true;
  for (const [i, url] of list.entries()) {
    const at = typeof urls === 'string' ? [...path, 'urls'] : [...path, 'urls', i];
    const problem = typeof url === 'string' ? iceUrlProblem(url) : `must be a string, got ${show(url)}`;
    if (problem) {
      problems.add(at, problem);
      ok = false;
    }
  }
  for (const key of ['username', 'credential'] as const)
    if (entry[key] !== undefined && typeof entry[key] !== 'string') {
      problems.add([...path, key], `must be a string, got ${show(entry[key])}`);
      ok = false;
    }
  const needsCredentials = list.some((url) => typeof url === 'string' && /^turns?:/.test(url));
  if (needsCredentials && (typeof entry['username'] !== 'string' || typeof entry['credential'] !== 'string')) {
    problems.add(path, 'a turn: or turns: server needs username and credential');
    ok = false;
  }
  if (!ok) return undefined;
  const server: IceServerConfig = { urls: typeof urls === 'string' ? urls : (list as string[]) };
  if (typeof entry['username'] === 'string') server.username = entry['username'];
  if (typeof entry['credential'] === 'string') server.credential = entry['credential'];
  return server;
}

/** Whether a PEM file holds at least one certificate; the reason it cannot be used otherwise. */
export function caFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return `cannot read ${path}: ${(error as Error).message}`;
  }
  return text.includes('-----BEGIN CERTIFICATE-----') ? undefined : `${path} holds no PEM certificate`;
}

/** The network keys of an external target (`raw` is the target mapping); `file` is the scenario's own path. */
export function toTargetNetwork(problems: Problems, raw: Record<string, unknown>, file: string): TargetNetwork {
  const network: TargetNetwork = {};
  const ca = raw['ca'];
  if (ca !== undefined) {
    if (typeof ca !== 'string' || ca === '') problems.add(['target', 'ca'], `must be a file path, got ${show(ca)}`);
    else {
      // relative to the scenario file, as a user reads it
      const path = resolve(dirname(resolve(file)), ca);
      const problem = caFileProblem(path);
      if (problem) problems.add(['target', 'ca'], problem);
      else network.ca = path;
    }
  }
  const servers = raw['iceServers'];
  if (servers !== undefined) {
    if (!Array.isArray(servers)) problems.add(['target', 'iceServers'], `must be a list, got ${show(servers)}`);
    else network.iceServers = servers.flatMap((s, i) => toIceServer(problems, s, ['target', 'iceServers', i]) ?? []);
  }
  const policy = raw['iceTransportPolicy'];
  if (policy !== undefined) {
    if (policy !== 'all' && policy !== 'relay')
      problems.add(['target', 'iceTransportPolicy'], `must be one of "all", "relay", got ${show(policy)}`);
    else network.iceTransportPolicy = policy;
  }
  if (policy === 'relay') {
    const list = Array.isArray(servers) ? servers : [];
    const hasTurn = list.some((s: unknown) => {
      const urls = (s as { urls?: unknown } | null)?.urls;
      return (Array.isArray(urls) ? urls : [urls]).some((u) => typeof u === 'string' && /^turns?:/.test(u));
    });
    if (!hasTurn)
      problems.add(['target', 'iceTransportPolicy'], 'relay needs a turn: or turns: server in target.iceServers');
  }
  return network;
}

/** Why `address` cannot be a bind address (an IPv4 address, or 0.0.0.0 for every interface). */
export function bindAddressProblem(address: unknown): string | undefined {
  if (typeof address !== 'string' || !isIPv4(address))
    return `must be an IPv4 address (0.0.0.0 for every interface), got ${show(address)}`;
  return undefined;
}
