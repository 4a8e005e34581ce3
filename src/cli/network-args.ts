/**
 * The network flags of `glassbench run` / `capacity` (--ca, --bind) and of `glassbench sfu` (--host, --announce,
 * --udp-ports, --tls-cert, --tls-key), checked where they enter. A flag wins over the scenario's key.
 */
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';

import { GlassbenchError } from '../errors.js';
import type { Scenario } from '../scenario/types.js';
import { bindAddressProblem, caFileProblem } from '../scenario/validate-target-network.js';

export interface RunNetworkArgs {
  ca?: string;
  bind?: string;
}

/** The scenario with --ca and --bind applied (they override target.ca and bindAddress). */
export function applyNetworkFlags(scenario: Scenario, args: RunNetworkArgs): Scenario {
  let result = scenario;
  if (args.bind !== undefined) {
    const problem = bindAddressProblem(args.bind);
    if (problem) throw new GlassbenchError('INVALID_INPUT', `--bind: ${problem}`);
    if (scenario.target.type === 'reference' && !args.bind.startsWith('127.'))
      throw new GlassbenchError('INVALID_INPUT', '--bind: the built-in reference SFU listens on loopback only');
    result = { ...result, bindAddress: args.bind };
  }
  if (args.ca !== undefined) {
    if (result.target.type !== 'external')
      throw new GlassbenchError('INVALID_INPUT', '--ca: applies to an external target (target: { whip, whep })');
    const path = resolve(args.ca);
    const problem = caFileProblem(path);
    if (problem) throw new GlassbenchError('INVALID_INPUT', `--ca: ${problem}`);
    result = { ...result, target: { ...result.target, ca: path } };
  }
  return result;
}

export interface SfuNetworkArgs {
  host: string;
  port: number;
  announce?: string;
  'udp-ports'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
}

/** What the sfu's network flags become (ReferenceServer options and its listen address). */
export interface SfuNetwork {
  host: string;
  port: number;
  announceAddress?: string;
  udpPortRange?: [number, number];
  tls?: { certPem: string; keyPem: string };
}

function readPem(flag: string, path: string, marker: RegExp): string {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new GlassbenchError('INVALID_INPUT', `--${flag} ${path}: cannot read it: ${(error as Error).message}`);
  }
  if (!marker.test(text)) throw new GlassbenchError('INVALID_INPUT', `--${flag} ${path}: not a PEM file of that kind`);
  return text;
}

/** `MIN-MAX`, 1024 <= MIN < MAX <= 65535 (werift refuses MIN = MAX; each session takes one port). */
export function parseUdpPorts(text: string): [number, number] {
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (!match || min < 1024 || max > 65535 || min >= max)
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--udp-ports ${text}: expected MIN-MAX with 1024 <= MIN < MAX <= 65535 (e.g. 40000-40999; one port per session)`,
    );
  return [min, max];
}

export function checkSfuNetwork(args: SfuNetworkArgs): SfuNetwork {
  // werift gathers IPv4 only here: an IPv6 bind would answer with no usable candidate
  if (args.host !== 'localhost' && !isIPv4(args.host))
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--host ${args.host}: must be an IPv4 address of this machine (0.0.0.0 for every interface) or localhost`,
    );
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
    throw new GlassbenchError('INVALID_INPUT', `--port ${args.port}: must be a whole number from 0 to 65535`);
  const network: SfuNetwork = { host: args.host === 'localhost' ? '127.0.0.1' : args.host, port: args.port };
  if (args.announce !== undefined) {
    if (!isIPv4(args.announce) || args.announce === '0.0.0.0')
      throw new GlassbenchError(
        'INVALID_INPUT',
        `--announce ${args.announce}: must be the IPv4 address peers reach this SFU at (e.g. a NAT's public address)`,
      );
    network.announceAddress = args.announce;
  }
  if (args['udp-ports'] !== undefined) network.udpPortRange = parseUdpPorts(args['udp-ports']);
  const cert = args['tls-cert'];
  const key = args['tls-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new GlassbenchError(
      'INVALID_INPUT',
      `--${cert === undefined ? 'tls-key' : 'tls-cert'} needs --${cert === undefined ? 'tls-cert' : 'tls-key'} too`,
    );
  if (cert !== undefined && key !== undefined)
    network.tls = {
      certPem: readPem('tls-cert', cert, /-----BEGIN CERTIFICATE-----/),
      keyPem: readPem('tls-key', key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/),
    };
  return network;
}
