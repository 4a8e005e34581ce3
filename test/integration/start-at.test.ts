/**
 * `glassbench run --start-at TIME`: the measured hold starts at the instant, after the warm-up; the wait's frames
 * are warm-up frames; a warm-up that ends after the instant fails the run before measuring (exit 107); an
 * instant already past is refused before anything starts (exit 104).
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { nowMs } from '../../src/metrics/clock.js';
import { readFrames, readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';

function scenario(warmup: string): string {
  return `name: start-at
duration: 2s
warmup: ${warmup}
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 300 } }
  - { role: subscriber, count: 1 }
`;
}

describe('run --start-at', () => {
  it('waits after the warm-up and starts the hold at the instant', async () => {
    const dir = await tempDir();
    const file = await writeScenario(dir, 'start-at.yaml', scenario('1s'));
    // far enough ahead for connecting and the warm-up on a busy machine
    const atMs = Math.ceil(nowMs() / 1000) * 1000 + 15_000;
    const startAt = new Date(atMs).toISOString();

    const result = await runCli(['run', file, '--out', join(dir, 'out'), '--start-at', startAt]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`[waiting] waiting for the start at ${startAt}`);
    const summary = readSummary(join(dir, 'out'));
    expect(summary.startAt).toMatchObject({ requested: startAt, atIso: startAt, atMs, missed: false });
    expect(summary.startAt?.waitedMs).toBeGreaterThan(0);
    // the window opens at the instant or later (startedAt is whole ms, so allow its truncation)
    const windowFromMs = Date.parse(summary.startedAt) + (summary.window?.fromMs ?? Number.NaN);
    expect(windowFromMs).toBeGreaterThanOrEqual(atMs - 1);
    const frames = readFrames(join(dir, 'out'));
    const measured = frames.filter((f) => f['warmup'] !== true);
    expect(measured.length).toBeGreaterThan(0);
    for (const f of measured) expect(f['captureMs'] as number).toBeGreaterThanOrEqual(atMs);
    // frames of the wait were sent and kept, as warm-up frames
    expect(frames.some((f) => f['warmup'] === true && (f['captureMs'] as number) > atMs - 1000)).toBe(true);
  });

  it('fails before measuring when the warm-up ends after the instant', async () => {
    const dir = await tempDir();
    const file = await writeScenario(dir, 'start-at.yaml', scenario('8s'));
    // the instant is still ahead once the CLI has started (up to a few seconds on a loaded machine), and the
    // warm-up alone (8 s) outlasts the time to it
    const startAt = new Date(nowMs() + 4000).toISOString();

    const result = await runCli(['run', file, '--out', join(dir, 'out'), '--start-at', startAt]);

    expect(result.code, result.stderr).toBe(107);
    expect(result.stdout).toMatch(
      /status: error \(--start-at .*: the warm-up ended \d+\.\d s after .*; nothing was measured/,
    );
    const summary = readSummary(join(dir, 'out'));
    expect(summary.status).toBe('error');
    expect(summary.startAt).toMatchObject({ requested: startAt, missed: true, waitedMs: 0 });
    expect(summary.startAt?.lateMs).toBeGreaterThan(0);
    expect(summary.window).toBeUndefined();
  });

  it('refuses an instant already past before starting anything', async () => {
    const dir = await tempDir();
    const file = await writeScenario(dir, 'start-at.yaml', scenario('1s'));

    const result = await runCli(['run', file, '--out', join(dir, 'out'), '--start-at', '2020-01-01T00:00:00Z']);

    expect(result.code).toBe(104);
    expect(result.stderr).toContain('error: --start-at 2020-01-01T00:00:00Z: 2020-01-01T00:00:00.000Z is ');
    expect(result.stderr).toContain(' s past; give a later one');
  });

  it('refuses a scenario with variants: it runs several holds, not one', async () => {
    const startAt = new Date(nowMs() + 60_000).toISOString();

    const result = await runCli(['run', 'scenarios/edge-vs-cloud.yaml', '--start-at', startAt]);

    expect(result.code).toBe(104);
    expect(result.stderr).toContain('error: --start-at: a scenario with variants runs several holds, not one');
  });
});
