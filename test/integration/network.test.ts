/**
 * Network impairment, as root: each profile's peers run in a network namespace of the run's own, behind an
 * impaired link (netem where the kernel has it, glassbench's user-space link emulator otherwise). Measured
 * against an unimpaired run: an uplink delay shifts uplink_ms by that much; downlink loss shows in the
 * receivers' packet_loss_pct. Namespaces are gone afterwards, also after Ctrl-C; without root the run says so.
 */
import { spawn } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readSummary, runCli, startCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids, glassbenchNamespaces } from '../fixtures/system.js';

const root = process.getuid?.() === 0;
// as root only (namespaces and links need it); under CI a non-root run is a failure, not a skip
const asRoot = root || process.env['CI'] === 'true' ? it : it.skip;

const scenario = (
  name: string,
  publisherNetwork: string,
  subscriberNetwork: string,
  duration = '6s',
): string => `name: ${name}
duration: ${duration}
warmup: 1s
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 2000 }${publisherNetwork ? `, network: ${publisherNetwork}` : ''} }
  - { role: subscriber, count: 1${subscriberNetwork ? `, network: ${subscriberNetwork}` : ''} }
`;

describe('network impairment', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
    expect(glassbenchNamespaces()).toEqual([]);
  });

  asRoot(
    'an uplink delay of 60 ms shifts median uplink_ms by 60 +/- 3 ms; 5% downlink loss shows as 3.5-6.5% packet loss',
    async () => {
      expect(root, 'network impairment needs root').toBe(true);
      const dir = await tempDir();
      const plain = join(dir, 'plain');
      const impaired = join(dir, 'impaired');
      const base = await runCli([
        'run',
        await writeScenario(dir, 'plain.yaml', scenario('plain', '', '')),
        '--out',
        plain,
      ]);
      expect(base.code, base.stderr).toBe(0);
      const run = await runCli([
        'run',
        await writeScenario(
          dir,
          'impaired.yaml',
          scenario('impaired', '{ uplink: { delay: 60ms } }', '{ downlink: { loss: 5% } }', '10s'),
        ),
        '--out',
        impaired,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const before = readSummary(plain);
      const after = readSummary(impaired);
      const median = (s: RunSummary, m: string): number => (s.metrics[m] as TrendSummary).p50;
      const shift = median(after, 'uplink_ms') - median(before, 'uplink_ms');
      expect(shift).toBeGreaterThan(57);
      expect(shift).toBeLessThan(63);
      // the delay is on the uplink only: the downlink's median stays within a few ms
      expect(Math.abs(median(after, 'downlink_ms') - median(before, 'downlink_ms'))).toBeLessThan(10);
      const loss = after.metrics['packet_loss_pct'] as TrendSummary;
      expect(loss.count).toBeGreaterThanOrEqual(8);
      expect(loss.mean).toBeGreaterThan(3.5);
      expect(loss.mean).toBeLessThan(6.5);
      expect((before.metrics['packet_loss_pct'] as TrendSummary).max).toBe(0);
      // the summary says how the links were made and what each did
      expect(after.network?.links).toHaveLength(2);
      expect(after.network?.links.map((l) => l.groups)).toEqual([['publisher/synthetic'], ['subscriber/synthetic']]);
      expect(after.network?.links[0]?.uplink['delayMs']).toBe(60);
      if (after.network?.engine === 'userspace') {
        const counts = after.network.links[1]?.counts?.downlink;
        expect((counts?.dropped ?? 0) / (counts?.packets ?? 1)).toBeGreaterThan(0.03);
      }
    },
    120_000,
  );

  asRoot(
    'Ctrl-C ends an impaired run with exit 105, an aborted summary and no namespace left',
    async () => {
      const dir = await tempDir();
      const file = await writeScenario(
        dir,
        'long.yaml',
        scenario(
          'long',
          '{ uplink: { delay: 20ms, jitter: 5ms, loss: 1%, burstLoss: 3, rateKbps: 5000 }, schedule: [ { at: 1s, uplink: { delay: 40ms } } ] }',
          '',
          '60s',
        ),
      );
      const out = join(dir, 'out');
      const run = startCli(['run', file, '--out', out]);
      await run.waitForProgress(2);
      expect(glassbenchNamespaces().length).toBeGreaterThan(0);
      run.child.kill('SIGINT');
      expect(await run.exit).toBe(105);
      const summary = readSummary(out);
      expect(summary).toMatchObject({ status: 'aborted', error: { code: 'ABORTED' } });
      // the schedule changed the link 1 s into the hold
      expect(summary.network?.changes.map((c) => [c.atMs, c.uplink['delayMs']])).toEqual([
        [0, 20],
        [1000, 40],
      ]);
    },
    90_000,
  );

  asRoot(
    'without root, an impaired run stops before any peer starts, exit 107, saying what it needs',
    async () => {
      const dir = await tempDir();
      await chmod(dir, 0o777);
      const file = await writeScenario(dir, 'net.yaml', scenario('net', '{ uplink: { delay: 10ms } }', ''));
      await chmod(file, 0o644);
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            CLI,
            'run',
            file,
            '--out',
            join(dir, 'out'),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(result.code, result.stderr).toBe(107);
      expect(result.stderr).toContain('status: error (network impairment needs root');
      expect(readSummary(join(dir, 'out'))).toMatchObject({ status: 'error', peers: { connected: 0 } });
    },
    60_000,
  );
});
