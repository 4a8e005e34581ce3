/**
 * Relay-only through a real TURN server (Debian's coturn): the reference SFU in namespace A, turnserver in T, a
 * run in B with `iceTransportPolicy: relay`. Peers in B offer only relayed candidates, so every media packet
 * goes through T; the TURN server's log shows the allocations and permissions that carried it. The namespaces
 * are the test's own (test/fixtures/hosts.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, readFrames, readSummary, tempDir, writeScenario } from '../fixtures/cli.js';
import { type Hosts, makeHosts } from '../fixtures/hosts.js';
import { exitWithOutput, type RunningSfu, waitForSfu } from '../fixtures/sfu-cli.js';
import { requireBinary } from '../fixtures/system.js';

const TURN_USER = 'glassbench';
const TURN_PASSWORD = 'turn-test-secret';

/** turnserver in namespace T, its log on stdout; resolves once it listens. */
async function startTurn(hosts: Hosts, dir: string): Promise<{ child: ChildProcess; log: () => string }> {
  const t = hosts.hosts['T']?.address ?? '';
  const child = hosts.spawn('T', requireBinary('/usr/bin/turnserver', 'coturn'), [
    '-n',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    `--listening-ip=${t}`,
    `--relay-ip=${t}`,
    '--listening-port=3478',
    '--min-port=49152',
    '--max-port=49251',
    '--lt-cred-mech',
    `--user=${TURN_USER}:${TURN_PASSWORD}`,
    '--realm=glassbench.test',
    '--fingerprint',
    `--db=${join(dir, 'turndb')}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
    // verbose: the listener lines (readiness) and one line per processed request (what the test reads)
    '-v',
  ]);
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const deadline = 20_000;
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`turnserver did not start within ${deadline} ms:\n${log}`)),
      deadline,
    );
    const check = setInterval(() => {
      if (new RegExp(`UDP listener opened on ?: ${t.replace(/\./g, '\\.')}:3478`).test(log)) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`turnserver exited (code ${code}):\n${log}`));
    });
  });
  await started.catch(async (error: unknown) => {
    await stopTurn(child);
    throw error;
  });
  return { child, log: () => log };
}

async function stopTurn(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('relay-only through a TURN server (coturn)', () => {
  let hosts: Hosts;
  let sfu: RunningSfu;
  let turn: { child: ChildProcess; log: () => string };

  beforeAll(async () => {
    requireBinary('/usr/bin/chromium', 'chromium');
    hosts = makeHosts(['A', 'B', 'T']);
    const dir = await tempDir();
    turn = await startTurn(hosts, dir);
    const a = hosts.hosts['A']?.address ?? '';
    sfu = await waitForSfu(hosts.spawn('A', process.execPath, [CLI, 'sfu', '--host', a, '--port', '0']));
  });

  afterAll(async () => {
    await sfu?.stop();
    if (turn) await stopTurn(turn.child);
    hosts?.close();
  });

  it('measures every frame of a synthetic and a browser subscriber whose media only goes through the relay', async () => {
    // Arrange
    const a = hosts.hosts['A']?.address ?? '';
    const t = hosts.hosts['T']?.address ?? '';
    const dir = await tempDir();
    const out = join(dir, 'out');
    const scenario = await writeScenario(
      dir,
      'relay.yaml',
      `name: relay-only
duration: 5s
target:
  whip: http://${a}:${sfu.port}/whip/{room}
  whep: http://${a}:${sfu.port}/whep/{room}
  iceServers:
    - { urls: "turn:${t}:3478?transport=udp", username: ${TURN_USER}, credential: ${TURN_PASSWORD} }
  iceTransportPolicy: relay
peers:
  - { role: publisher, kind: synthetic, count: 1, video: { source: encoded, bitrateKbps: 600 } }
  - { role: subscriber, kind: synthetic, count: 1 }
  - { role: subscriber, kind: browser, count: 1 }
`,
    );

    // Act
    const run = await exitWithOutput(hosts.spawn('B', process.execPath, [CLI, 'run', scenario, '--out', out]), 120_000);

    // Assert
    expect(run.code, `${run.output}\n--- turnserver ---\n${turn.log()}`).toBe(0);
    const summary = readSummary(out);
    expect(summary.peers).toMatchObject({ planned: 3, connected: 3, failed: [] });
    const count = (name: string): number => (summary.metrics[name] as { count: number } | undefined)?.count ?? 0;
    expect(count('identity_lost')).toBe(0);
    const sent = count('frames_sent');
    expect(sent).toBeGreaterThan(100);
    const measured = new Map<string, number>();
    for (const f of readFrames(out))
      if (f['warmup'] !== true && typeof f['frameLatencyMs'] === 'number')
        measured.set(String(f['subscriber']), (measured.get(String(f['subscriber'])) ?? 0) + 1);
    expect(measured.size).toBe(2);
    for (const [subscriber, n] of measured) expect(n, subscriber).toBeGreaterThanOrEqual(0.99 * sent);
    // one allocation per peer connection (publisher, synthetic and browser subscription), each with a permission
    // for the SFU's address
    const allocations = turn.log().match(/ALLOCATE processed, success/g) ?? [];
    expect(allocations.length, turn.log()).toBeGreaterThanOrEqual(3);
    expect(turn.log()).toMatch(/CREATE_PERMISSION processed, success/);
  });
});
