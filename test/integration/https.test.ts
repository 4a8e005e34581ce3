/**
 * WHIP/WHEP over https with a Bearer token and a private CA, on loopback: a CA made here with openssl signs the
 * reference SFU's certificate (`glassbench sfu --tls-cert --tls-key --token`); a run that trusts the CA
 * (target.ca, or --ca) connects, one that does not fails with a message naming the fix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { type RunningSfu, waitForSfu } from '../fixtures/sfu-cli.js';
import { requireBinary } from '../fixtures/system.js';

const TOKEN = 'test-token-1b2c';

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('/usr/bin/openssl', args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** A CA and a certificate it signed for 127.0.0.1 (P-256 keys: quick to make). */
function makePki(dir: string): { ca: string; cert: string; key: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=glassbench test CA',
  ]);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  ]);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

describe('https signaling with a private CA', () => {
  let dir: string;
  let sfu: RunningSfu;
  let pki: { ca: string; cert: string; key: string };

  beforeAll(async () => {
    requireBinary('/usr/bin/openssl', 'openssl');
    dir = await tempDir();
    pki = makePki(dir);
    const args = ['sfu', '--port', '0', '--token', TOKEN, '--tls-cert', pki.cert, '--tls-key', pki.key];
    sfu = await waitForSfu(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  });

  afterAll(async () => {
    await sfu?.stop();
  });

  const scenario = (name: string, extra: string): string => `name: ${name}
duration: 2s
target:
  whip: https://127.0.0.1:${sfu.port}/whip/{room}
  whep: https://127.0.0.1:${sfu.port}/whep/{room}
  token: ${TOKEN}
${extra}peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 1 }
`;

  it('connects when the scenario trusts the CA (target.ca, relative to the scenario file)', async () => {
    expect(sfu.baseUrl).toBe(`https://127.0.0.1:${sfu.port}`);
    const file = await writeScenario(dir, 'trusted.yaml', scenario('trusted', '  ca: ca.pem\n'));
    const out = join(dir, 'out-trusted');

    const result = await runCli(['run', file, '--out', out]);

    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(out);
    expect(summary.peers).toMatchObject({ planned: 2, connected: 2, failed: [] });
    expect((summary.metrics['frame_latency_ms'] as { count: number }).count).toBeGreaterThan(30);
    // the SFU's clock and telemetry are read over https with the same CA and token: its stage times are known
    expect(summary.clock?.method).toBe('sfu-endpoint');
    expect((summary.metrics['sfu_ms'] as { count: number } | undefined)?.count).toBe(
      (summary.metrics['frame_latency_ms'] as { count: number }).count,
    );
  });

  it('connects with --ca FILE in place of target.ca', async () => {
    const file = await writeScenario(dir, 'flag.yaml', scenario('flag', ''));
    const out = join(dir, 'out-flag');

    const result = await runCli(['run', file, '--ca', pki.ca, '--out', out]);

    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(out);
    expect(summary.peers).toMatchObject({ connected: 2, failed: [] });
    expect(summary.clock?.method).toBe('sfu-endpoint');
  });

  it('fails without the CA, saying the certificate is not trusted and how to trust it', async () => {
    const file = await writeScenario(dir, 'untrusted.yaml', scenario('untrusted', ''));

    const result = await runCli(['run', file, '--out', join(dir, 'out-untrusted')]);

    expect(result.code).toBe(107);
    expect(result.stderr).toContain(
      `POST https://127.0.0.1:${sfu.port}/whip/r1 failed: the server's TLS certificate is not trusted`,
    );
    expect(result.stderr).toContain('give the CA that signed it with --ca FILE or target.ca');
  });
});
