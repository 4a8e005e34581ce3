/**
 * Acceptance 4 of issue 16: a run against Debian's Janus VideoRoom, an SFU nobody here wrote. Janus runs in a
 * namespace standing in for a host (J), `glassbench run` in another (P): synthetic publishers join Janus rooms
 * with their offers, synthetic subscribers join their feeds and answer Janus's offers. Janus strips the
 * identity header extensions and rewrites sequence numbers and timestamps, so frames are named by the id in
 * their payload (filler) or through the learned RTP timestamp offset and the pixel marker (libvpx, with a
 * browser subscriber). Asserted: frame_latency_ms on at least 99% of the frames the receivers got, none
 * without identity, and the summary names each subscription's identity method.
 *
 * Peers bind to P's address (`bindAddress`, docs/networks.md): Janus offers only its eth0 candidate, which a
 * peer bound to loopback cannot reach.
 */
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readSummary, tempDir, writeScenario } from '../fixtures/cli.js';
import { type Hosts, makeHosts } from '../fixtures/hosts.js';
import { type JanusServer, startJanus } from '../fixtures/janus.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const root = process.getuid?.() === 0;
// namespaces need root; under CI a non-root run is a failure, not a skip
const asRoot = root || process.env['CI'] === 'true' ? it : it.skip;

const scenario = (janusUrl: string, bindAddress: string, room: number, peers: string): string => `name: janus
duration: 8s
warmup: 1s
rooms: 2
target: { janus: "${janusUrl}", room: ${room} }
bindAddress: ${bindAddress}
peers:
${peers}`;

function runIn(hosts: Hosts, host: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = hosts.spawn(host, process.execPath, [CLI, ...args]);
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout?.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('Janus VideoRoom (Debian janus 1.1.2)', () => {
  let hosts: Hosts | undefined;
  let janus: JanusServer | undefined;
  afterEach(async () => {
    await janus?.stop();
    hosts?.close();
    expect(glassbenchChildPids()).toEqual([]);
  });

  /** Janus in J, the run in P; resolves with the run's summary once the run exited 0. */
  async function runAgainstJanus(room: number, peers: string): Promise<RunSummary> {
    expect(root, 'namespaces standing in for hosts need root').toBe(true);
    hosts = makeHosts(['J', 'P']);
    janus = await startJanus(hosts, 'J');
    const host = hosts.hosts['P'];
    if (!host) throw new Error('no host P');
    const dir = await tempDir();
    const out = join(dir, 'out');
    const file = await writeScenario(dir, 'janus.yaml', scenario(janus.url, host.address, room, peers));
    const run = await runIn(hosts, 'P', ['run', file, '--out', out]);
    expect(run.code, `${run.stderr}\n--- janus ---\n${janus.log().slice(-3000)}`).toBe(0);
    return readSummary(out);
  }

  const count = (summary: RunSummary, name: string): number =>
    (summary.metrics[name] as { count: number } | undefined)?.count ?? 0;

  asRoot(
    'synthetic peers: frame_latency_ms on >= 99% of received frames, 0 identity lost, frames named by payload',
    async () => {
      const summary = await runAgainstJanus(
        7100,
        `  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 800 } }
  - { role: subscriber, count: 3 }
`,
      );

      expect(summary.peers).toMatchObject({ planned: 8, connected: 8, failed: [] });
      const received = count(summary, 'frames_received');
      // 2 rooms x 3 subscribers x ~7 s of 30 fps
      expect(received).toBeGreaterThan(1000);
      expect(count(summary, 'frame_latency_ms')).toBeGreaterThanOrEqual(Math.ceil(0.99 * received));
      expect(count(summary, 'identity_lost')).toBe(0);
      // Janus strips the frame-id extension: every subscription (2 rooms x 3 subscribers) named its frames by payload
      expect(summary.identity?.identityLost).toBe(0);
      expect(summary.identity?.methods).toEqual({ payload: received });
      expect(summary.identity?.subscriptions.map((s) => s.method)).toEqual(Array(6).fill('payload'));
    },
    120_000,
  );

  asRoot(
    'libvpx publishers, synthetic and browser subscribers: latency on >= 99% of received frames, named by rtp-offset and marker',
    async () => {
      const summary = await runAgainstJanus(
        7200,
        `  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 800, source: encoded } }
  - { role: subscriber, count: 1 }
  - { role: subscriber, count: 1, kind: browser }
`,
      );

      expect(summary.peers).toMatchObject({ planned: 6, connected: 6, failed: [] });
      const received = count(summary, 'frames_received');
      expect(received).toBeGreaterThan(500);
      expect(count(summary, 'frame_latency_ms')).toBeGreaterThanOrEqual(Math.ceil(0.99 * received));
      expect(count(summary, 'identity_lost')).toBe(0);
      // synthetic receivers name libvpx frames through the learned RTP timestamp offset, browsers by the marker
      // synthetic receivers (group 2) name libvpx frames through the learned RTP timestamp offset only; browsers
      // (group 3) read the marker, and frames their reader passed over (a busy page) are named through the offset
      const subs = summary.identity?.subscriptions ?? [];
      expect(subs.map((s) => s.peer).sort()).toEqual(['r1-sub2-1', 'r1-sub3-1', 'r2-sub2-1', 'r2-sub3-1']);
      for (const s of subs.filter((s) => s.peer.includes('-sub2-')))
        expect(Object.keys(s.methods), s.peer).toEqual(['rtp-offset']);
      for (const s of subs.filter((s) => s.peer.includes('-sub3-')))
        expect(s.methods.marker ?? 0, s.peer).toBeGreaterThan(0);
      expect(count(summary, 'g2g_latency_ms')).toBeGreaterThan(0);
    },
    120_000,
  );
});
