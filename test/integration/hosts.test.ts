/**
 * Acceptance 1 of issue 16: the reference SFU on one "host" and the harness on another. `glassbench sfu --host
 * <A>` runs in namespace A, `glassbench run` in namespace B against `target: { whip: http://<A>:<port>/... }`:
 * a synthetic and a browser subscriber get their frames with frame_latency_ms and no identity lost. The two
 * namespaces are the test's own (test/fixtures/hosts.ts); nothing is sent to any other address.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, readFrames, readSummary, tempDir, writeScenario } from '../fixtures/cli.js';
import { type Hosts, makeHosts } from '../fixtures/hosts.js';
import { exitWithOutput, type RunningSfu, waitForSfu } from '../fixtures/sfu-cli.js';
import { requireBinary } from '../fixtures/system.js';

describe('a remote reference SFU (namespaces standing in for hosts)', () => {
  let hosts: Hosts;
  let sfu: RunningSfu;

  beforeAll(async () => {
    requireBinary('/usr/bin/chromium', 'chromium');
    hosts = makeHosts(['A', 'B']);
    const a = hosts.hosts['A']?.address ?? '';
    sfu = await waitForSfu(hosts.spawn('A', process.execPath, [CLI, 'sfu', '--host', a, '--port', '0']));
  });

  afterAll(async () => {
    await sfu?.stop();
    hosts?.close();
  });

  it('gives a synthetic and a browser subscriber in B >= 99% of frames with frame_latency_ms, 0 identity lost', async () => {
    // Arrange
    const a = hosts.hosts['A']?.address ?? '';
    expect(sfu.baseUrl).toBe(`http://${a}:${sfu.port}`);

    // Act
    const { run, out } = await runInB(a, sfu.port, BROWSER_AND_SYNTHETIC);

    // Assert
    expect(run.code, run.output).toBe(0);
    expectEveryFrameMeasured(out, 2);
    // the default bind address for a remote target: B's address on the route to A
    expect(readSummary(out).notes).toContain(
      `peers bound to ${hosts.hosts['B']?.address}, no ICE server, every candidate`,
    );
  });

  it('announces --announce in its candidates, from its --udp-ports range', async () => {
    // Arrange: a second SFU in A announcing an address it does not bind (as behind a 1:1 NAT)
    const a = hosts.hosts['A']?.address ?? '';
    const announced = await waitForSfu(
      hosts.spawn('A', process.execPath, [
        CLI,
        'sfu',
        '--host',
        a,
        '--port',
        '0',
        '--announce',
        '10.231.0.77',
        '--udp-ports',
        '40100-40109',
      ]),
    );
    try {
      // Act: a werift publisher in B offers over WHIP and prints the answer
      const probe = await exitWithOutput(
        hosts.spawn('B', process.execPath, ['--input-type=module', '-e', offerProbe(`${announced.baseUrl}/whip/p1`)]),
        30_000,
      );

      // Assert
      expect(probe.code, probe.output).toBe(0);
      const candidates = probe.output.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
      expect(candidates.length, probe.output).toBeGreaterThan(0);
      for (const line of candidates) {
        const [, , , , address, port, , type] = line.split(' ');
        expect(address, line).toBe('10.231.0.77');
        expect(Number(port), line).toBeGreaterThanOrEqual(40100);
        expect(Number(port), line).toBeLessThanOrEqual(40109);
        expect(type, line).toBe('host');
      }
    } finally {
      await announced.stop();
    }
  });

  it('carries media bound to every interface (--host 0.0.0.0) through a --udp-ports range', async () => {
    // Arrange
    const a = hosts.hosts['A']?.address ?? '';
    const wide = await waitForSfu(
      hosts.spawn('A', process.execPath, [
        CLI,
        'sfu',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--udp-ports',
        '40200-40219',
      ]),
    );
    try {
      // Act
      const { run, out } = await runInB(a, wide.port, SYNTHETIC_ONLY);

      // Assert
      expect(run.code, run.output).toBe(0);
      expectEveryFrameMeasured(out, 2);
    } finally {
      await wide.stop();
    }
  });

  async function runInB(
    a: string,
    port: number,
    peers: string,
  ): Promise<{ run: { code: number | null; output: string }; out: string }> {
    const dir = await tempDir();
    const out = join(dir, 'out');
    const scenario = await writeScenario(
      dir,
      'remote.yaml',
      `name: remote-sfu
duration: 5s
target:
  whip: http://${a}:${port}/whip/{room}
  whep: http://${a}:${port}/whep/{room}
${peers}`,
    );
    const run = await exitWithOutput(hosts.spawn('B', process.execPath, [CLI, 'run', scenario, '--out', out]), 120_000);
    return { run, out };
  }
});

const BROWSER_AND_SYNTHETIC = `peers:
  - { role: publisher, kind: synthetic, count: 1, video: { source: encoded, bitrateKbps: 600 } }
  - { role: subscriber, kind: synthetic, count: 1 }
  - { role: subscriber, kind: browser, count: 1 }
`;

const SYNTHETIC_ONLY = `peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`;

/** Every receiver got >= 99% of the frames sent with a frame_latency_ms, and no identity was lost. */
function expectEveryFrameMeasured(out: string, receivers: number): void {
  const summary = readSummary(out);
  expect(summary.peers).toMatchObject({ connected: summary.peers.planned, failed: [] });
  const count = (name: string): number => (summary.metrics[name] as { count: number } | undefined)?.count ?? 0;
  expect(count('identity_lost')).toBe(0);
  const sent = count('frames_sent');
  expect(sent).toBeGreaterThan(100);
  expect(count('frame_latency_ms')).toBeGreaterThanOrEqual(0.99 * receivers * sent);
  const bySubscriber = new Map<string, number>();
  for (const f of readFrames(out))
    if (f['warmup'] !== true && typeof f['frameLatencyMs'] === 'number')
      bySubscriber.set(String(f['subscriber']), (bySubscriber.get(String(f['subscriber'])) ?? 0) + 1);
  expect(bySubscriber.size).toBe(receivers);
  for (const [subscriber, measured] of bySubscriber)
    expect(measured, `${subscriber}: ${measured} of ${sent} frames measured`).toBeGreaterThanOrEqual(0.99 * sent);
}

/** A werift publisher (bound to B's address) that POSTs its offer to `url` and prints the answer. */
function offerProbe(url: string): string {
  return `import { RTCPeerConnection } from 'werift';
const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv4: false, iceUseIpv6: false,
  iceAdditionalHostAddresses: ['10.231.0.2'], iceInterfaceAddresses: { udp4: '10.231.0.2' } });
pc.addTransceiver('video', { direction: 'sendonly' });
await pc.setLocalDescription(await pc.createOffer());
const response = await fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'content-type': 'application/sdp' },
  body: pc.localDescription.sdp });
console.log(response.status, await response.text());
await pc.close();
process.exit(response.status === 201 ? 0 : 1);
`;
}
