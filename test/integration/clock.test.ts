/**
 * Clock offset across "hosts" on loopback: `glassbench sfu` runs as a separate process with its own clock and a
 * run measures it as an external target; the run's clock is skewed +250 ms by the test aid
 * GLASSBENCH_TEST_CLOCK_SKEW_MS (the real clock cannot be skewed per process). The run reads the remote SFU's
 * telemetry, estimates its offset over the SFU's /clock within the stated uncertainty of 250 ms, and reads the
 * SFU's times into its own clock, so uplink_ms matches an unskewed run's to within 5 ms. A time host
 * (`glassbench clock`) stands in for an SFU that serves no /clock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';

const SKEW = { GLASSBENCH_TEST_CLOCK_SKEW_MS: '250' };

/** A CLI server command (`sfu`, `clock`) on a free port; resolves with its URL once it listens. */
function startServer(command: 'sfu' | 'clock'): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, command, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (match) resolve({ url: match[1] as string, child });
    });
    child.once('exit', (code) => reject(new Error(`glassbench ${command} exited (code ${code}): ${text}`)));
  });
}

const trend = (summary: RunSummary, name: string): TrendSummary | undefined =>
  summary.metrics[name] as TrendSummary | undefined;

function scenarioText(sfuUrl: string, extra = ''): string {
  return `name: clock
duration: 4s
target: { whip: "${sfuUrl}/whip/{room}", whep: "${sfuUrl}/whep/{room}"${extra} }
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`;
}

describe('clock offset against a remote reference SFU', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  });

  it('a +250 ms skewed run estimates +250 within its uncertainty over /clock, and its uplink_ms matches an unskewed run', async () => {
    const sfu = await startServer('sfu');
    children.push(sfu.child);
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'remote.yaml', scenarioText(sfu.url));

    const plain = await runCli(['run', scenario, '--out', join(dir, 'plain')]);
    expect(plain.code, plain.stderr).toBe(0);
    const skewed = await runCli(['run', scenario, '--out', join(dir, 'skewed')], { env: SKEW });
    expect(skewed.code, skewed.stderr).toBe(0);
    const [a, b] = [readSummary(join(dir, 'plain')), readSummary(join(dir, 'skewed'))] as [RunSummary, RunSummary];

    for (const summary of [a, b]) {
      expect(summary.clock?.method).toBe('sfu-endpoint');
      expect(summary.clock?.source).toBe(`${sfu.url}/clock`);
      expect(summary.clock?.samples).toBeGreaterThanOrEqual(12);
      // the remote SFU's telemetry was read: its stages exist, and the note that they do not is gone
      for (const metric of ['sfu_ms', 'uplink_ms', 'downlink_ms'])
        expect(trend(summary, metric)?.count, metric).toBeGreaterThan(50);
      expect(summary.notes.join(' ')).not.toContain('not reported');
    }
    const ca = a.clock as NonNullable<RunSummary['clock']>;
    const cb = b.clock as NonNullable<RunSummary['clock']>;
    expect(Math.abs(ca.offsetMs)).toBeLessThanOrEqual(ca.uncertaintyMs as number);
    expect(Math.abs(cb.offsetMs - 250)).toBeLessThanOrEqual(cb.uncertaintyMs as number);
    // the estimates over the run (preflight and every 5 s) all saw the skew, none the unskewed clock
    expect(cb.estimates).toBeGreaterThanOrEqual(2);
    expect(cb.offsetMinMs).toBeGreaterThan(200);
    expect(cb.offsetMaxMs).toBeLessThan(300);
    expect(b.environment.clockOffsetMs).toBe(cb.offsetMs);
    // corrected: uncorrected, the skewed run's uplink would read 250 ms longer
    const uplinkA = trend(a, 'uplink_ms')?.p50 as number;
    const uplinkB = trend(b, 'uplink_ms')?.p50 as number;
    expect(Math.abs(uplinkB - uplinkA)).toBeLessThan(5);
    expect(skewed.stdout).toContain('clock: sfu-endpoint, offset +');
  }, 120_000);

  it("browser pages read the run's skewed clock too: a browser's uplink_ms stays small on a +250 ms shard", async () => {
    const sfu = await startServer('sfu');
    children.push(sfu.child);
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'browsers.yaml',
      `name: clock-browsers
duration: 4s
target: { whip: "${sfu.url}/whip/{room}", whep: "${sfu.url}/whep/{room}" }
peers:
  - { role: publisher, kind: browser, count: 1 }
  - { role: subscriber, kind: browser, count: 1 }
`,
    );
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')], { env: SKEW });
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(join(dir, 'out'));
    const clock = summary.clock as NonNullable<RunSummary['clock']>;
    expect(Math.abs(clock.offsetMs - 250)).toBeLessThanOrEqual(clock.uncertaintyMs as number);
    // a page's capture time on an unskewed clock would put the SFU's (corrected) receipt 250 ms after it
    const uplink = trend(summary, 'uplink_ms');
    expect(uplink?.count).toBeGreaterThan(30);
    expect(uplink?.p50).toBeGreaterThan(0);
    expect(uplink?.p50).toBeLessThan(100);
    expect(trend(summary, 'g2g_latency_ms')?.p50).toBeLessThan(200);
  }, 120_000);

  it('a time host (glassbench clock) gives the offset when the SFU side is not read', async () => {
    const sfu = await startServer('sfu');
    children.push(sfu.child);
    const timeHost = await startServer('clock');
    children.push(timeHost.child);
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'time-host.yaml',
      `${scenarioText(sfu.url, ', telemetry: false')}clock: { host: "${timeHost.url}" }\n`,
    );
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')], { env: SKEW });
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(join(dir, 'out'));
    const clock = summary.clock as NonNullable<RunSummary['clock']>;
    expect(clock.method).toBe('time-host');
    expect(clock.source).toBe(`${timeHost.url}/clock`);
    expect(Math.abs(clock.offsetMs - 250)).toBeLessThanOrEqual(clock.uncertaintyMs as number);
    // telemetry: false: no SFU stamps, and the summary says so
    expect(trend(summary, 'sfu_ms')).toBeUndefined();
    expect(summary.notes.join(' ')).toContain('target.telemetry is false');
    expect(trend(summary, 'frame_latency_ms')?.count).toBeGreaterThan(50);
  }, 120_000);
});
