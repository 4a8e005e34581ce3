import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { applyNetworkFlags, checkSfuNetwork, parseUdpPorts } from '../../../src/cli/network-args.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';

const PEERS = 'peers:\n  - { role: publisher, count: 1 }\n';
const REFERENCE = `name: ref\nduration: 2s\n${PEERS}`;
const EXTERNAL = `name: ext\nduration: 2s\ntarget: { whip: "https://10.9.0.1/whip/{room}", whep: "https://10.9.0.1/whep/{room}" }\nbindAddress: 10.9.0.2\n${PEERS}`;

function pemFiles(): { cert: string; key: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'glassbench-pem-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n');
  return { cert, key, dir };
}

describe('glassbench sfu network flags', () => {
  it('takes host, announce, a UDP port range and a certificate with its key', () => {
    const { cert, key } = pemFiles();
    const network = checkSfuNetwork({
      host: '0.0.0.0',
      port: 8443,
      announce: '203.0.113.7',
      'udp-ports': '40000-40099',
      'tls-cert': cert,
      'tls-key': key,
    });
    expect(network).toMatchObject({
      host: '0.0.0.0',
      port: 8443,
      announceAddress: '203.0.113.7',
      udpPortRange: [40000, 40099],
    });
    expect(network.tls?.certPem).toContain('BEGIN CERTIFICATE');
    expect(checkSfuNetwork({ host: 'localhost', port: 0 })).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('refuses what it cannot use, naming the flag', () => {
    const { cert, dir } = pemFiles();
    expect(() => checkSfuNetwork({ host: 'sfu.example', port: 1 })).toThrow(/^--host sfu\.example: must be an IPv4/);
    expect(() => checkSfuNetwork({ host: '::', port: 1 })).toThrow(/^--host ::: must be an IPv4/);
    expect(() => checkSfuNetwork({ host: '127.0.0.1', port: 70000 })).toThrow(/^--port 70000: must be a whole number/);
    expect(() => checkSfuNetwork({ host: '127.0.0.1', port: 1, announce: '0.0.0.0' })).toThrow(
      /^--announce 0\.0\.0\.0/,
    );
    expect(() => checkSfuNetwork({ host: '127.0.0.1', port: 1, 'tls-cert': cert })).toThrow(
      '--tls-cert needs --tls-key too',
    );
    expect(() => checkSfuNetwork({ host: '127.0.0.1', port: 1, 'tls-cert': cert, 'tls-key': cert })).toThrow(
      /^--tls-key .*: not a PEM file of that kind/,
    );
    expect(() =>
      checkSfuNetwork({ host: '127.0.0.1', port: 1, 'tls-cert': join(dir, 'none.pem'), 'tls-key': cert }),
    ).toThrow(/^--tls-cert .*none\.pem: cannot read it/);
  });

  it('parses --udp-ports MIN-MAX with MIN < MAX inside 1024-65535', () => {
    expect(parseUdpPorts('1024-1025')).toEqual([1024, 1025]);
    for (const bad of ['40000', '40000-40000', '500-600', '60000-70000', '2-1', 'a-b'])
      expect(() => parseUdpPorts(bad), bad).toThrow(/^--udp-ports .*: expected MIN-MAX/);
  });
});

describe('glassbench run --ca and --bind', () => {
  it('override target.ca and bindAddress', () => {
    const { cert } = pemFiles();
    const scenario = applyNetworkFlags(scenarioFromText(EXTERNAL, 'x.yaml'), { ca: cert, bind: '0.0.0.0' });
    expect(scenario.bindAddress).toBe('0.0.0.0');
    expect(scenario.target).toMatchObject({ type: 'external', ca: cert });
  });

  it('refuse a bad address, a CA for the built-in SFU and an unreadable CA', () => {
    const { dir } = pemFiles();
    const reference = scenarioFromText(REFERENCE, 'x.yaml');
    const external = scenarioFromText(EXTERNAL, 'x.yaml');
    expect(() => applyNetworkFlags(external, { bind: '10.0.0' })).toThrow(/^--bind: must be an IPv4 address/);
    expect(() => applyNetworkFlags(reference, { bind: '10.0.0.1' })).toThrow(/loopback only/);
    expect(applyNetworkFlags(reference, { bind: '127.0.0.1' }).bindAddress).toBe('127.0.0.1');
    expect(() => applyNetworkFlags(reference, { ca: join(dir, 'cert.pem') })).toThrow(/^--ca: applies to an external/);
    expect(() => applyNetworkFlags(external, { ca: join(dir, 'none.pem') })).toThrow(/^--ca: cannot read/);
  });
});
