/**
 * Acceptance 1 of issue 16: the reference SFU on one "host" and the harness on another. `glassbench sfu --host
 * <A>` runs in namespace A, `glassbench run` in namespace B against `target: { whip: http://<A>:<port>/... }`:
 * a synthetic and a browser subscriber get their frames with frame_latency_ms and no identity lost. The two
 * namespaces are the test's own (test/fixtures/hosts.ts); nothing is sent to any other address.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, readFrames, readSummary, tempDir, writeScenario } from '../fixtures/cli.js';
import { type Hosts, makeHosts } from '../fixtures/hosts.js';
import { type RunningSfu, waitForSfu } from '../fixtures/sfu-cli.js';
import { requireBinary } from '../fixtures/system.js';

function exitOf(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

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
    const dir = await tempDir();
    const out = join(dir, 'out');
    const scenario = await writeScenario(
      dir,
      'remote.yaml',
      `name: remote-sfu
duration: 5s
target:
  whip: http://${a}:${sfu.port}/whip/{room}
  whep: http://${a}:${sfu.port}/whep/{room}
peers:
  - { role: publisher, kind: synthetic, count: 1, video: { source: encoded, bitrateKbps: 600 } }
  - { role: subscriber, kind: synthetic, count: 1 }
  - { role: subscriber, kind: browser, count: 1 }
`,
    );

    // Act
    const run = await exitOf(hosts.spawn('B', process.execPath, [CLI, 'run', scenario, '--out', out]), 120_000);

    // Assert
    expect(run.code, run.output).toBe(0);
    const summary = readSummary(out);
    expect(summary.peers).toMatchObject({ planned: 3, connected: 3, failed: [] });
    const count = (name: string): number => (summary.metrics[name] as { count: number } | undefined)?.count ?? 0;
    expect(count('identity_lost')).toBe(0);
    expect(count('frames_sent')).toBeGreaterThan(100);
    expect(count('frame_latency_ms')).toBeGreaterThanOrEqual(0.99 * count('frames_received'));
    const frames = readFrames(out).filter((f) => f['warmup'] !== true);
    const bySubscriber = new Map<string, Record<string, unknown>[]>();
    for (const f of frames) {
      const key = String(f['subscriber']);
      bySubscriber.set(key, [...(bySubscriber.get(key) ?? []), f]);
    }
    // one synthetic and one browser receiver, each with its frames
    expect(bySubscriber.size).toBe(2);
    const sent = count('frames_sent');
    for (const [subscriber, records] of bySubscriber) {
      const measured = records.filter((r) => typeof r['frameLatencyMs'] === 'number');
      expect(measured.length, `${subscriber}: ${records.length} received, ${sent} sent`).toBeGreaterThanOrEqual(
        0.99 * sent,
      );
    }
  });
});
