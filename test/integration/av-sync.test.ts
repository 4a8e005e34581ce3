/**
 * Calibration of A/V sync: the reference SFU holding audio 60 ms longer than video (`sfu.addAudioDelayMs`) must
 * move the median `av_sync_ms` by 60 +/- 5 ms at synthetic receivers and 60 +/- 10 ms at browser receivers, against
 * the same scenario without it. Runs with and without the delay alternate (as the g2g calibration in
 * browser.test.ts does) and the medians pool every marker of each side, so a machine busy in one run does not
 * pass for the delay. Each receiver also reports time_to_first_audio_ms.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, median, metricCount, readFrames, tempDir } from '../fixtures/cli.js';
import { requireBinary } from '../fixtures/system.js';

/** Alternating runs of `scenario(delayMs)`, `rounds` per side: every measured marker's av_sync_ms, pooled per side. */
async function pooledShift(
  scenario: (addAudioDelayMs: number) => string,
  rounds: number,
  receivers: number,
): Promise<{ base: number[]; delayed: number[] }> {
  const pooled = { base: [] as number[], delayed: [] as number[] };
  for (let round = 0; round < rounds; round += 1) {
    for (const side of ['base', 'delayed'] as const) {
      const out = join(await tempDir(), 'out');
      const { summary } = await runScenario({
        scenario: scenarioFromText(scenario(side === 'delayed' ? 60 : 0)),
        runId: `av-sync-${side}-${round}`,
        outDir: out,
      });
      expect(summary.status).toBe('passed');
      expectAccountingHolds(summary);
      expect(summary.scenario.addAudioDelayMs).toBe(side === 'delayed' ? 60 : undefined);
      // every receiver heard audio, and (a marker a second) its markers were paired with their frames
      expect(metricCount(summary, 'time_to_first_audio_ms')).toBe(receivers);
      expect(metricCount(summary, 'av_sync_ms')).toBeGreaterThanOrEqual(2 * receivers);
      const values: number[] = [];
      for (const frame of readFrames(out))
        if (frame['warmup'] !== true && typeof frame['avSyncMs'] === 'number') values.push(frame['avSyncMs']);
      process.stdout.write(`${side} ${round}: ${values.map((v) => v.toFixed(1)).join(' ')}\n`);
      pooled[side].push(...values);
    }
  }
  return pooled;
}

describe('A/V sync (audio: { sync: true })', () => {
  it('shows sfu.addAudioDelayMs 60 as +60 +/- 5 ms in median av_sync_ms at synthetic receivers', async () => {
    const scenario = (delayMs: number): string => `name: av-sync
duration: 5s
sfu: { addAudioDelayMs: ${delayMs} }
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 }, audio: { sync: true } }
  - { role: subscriber, count: 3 }
`;
    const { base, delayed } = await pooledShift(scenario, 2, 3);
    for (const side of [base, delayed]) expect(side.length).toBeGreaterThanOrEqual(2 * 3 * 3);
    const shift = median(delayed) - median(base);
    process.stdout.write(
      `synthetic av_sync_ms median ${median(base).toFixed(1)} -> ${median(delayed).toFixed(1)} ms (+${shift.toFixed(1)}), ${base.length}/${delayed.length} markers\n`,
    );
    expect(Math.abs(shift - 60)).toBeLessThanOrEqual(5);
  }, 240_000);

  it('shows sfu.addAudioDelayMs 60 as +60 +/- 10 ms in median av_sync_ms at browser receivers', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const scenario = (delayMs: number): string => `name: av-sync-browser
duration: 5s
warmup: 1s
sfu: { addAudioDelayMs: ${delayMs} }
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 1000 }, audio: { sync: true } }
  - { role: subscriber, kind: browser, count: 1 }
`;
    // four rounds: a browser publisher's audio leaves on its page's timers, a few ms of noise per marker
    const { base, delayed } = await pooledShift(scenario, 4, 1);
    for (const side of [base, delayed]) expect(side.length).toBeGreaterThanOrEqual(4 * 3);
    const shift = median(delayed) - median(base);
    process.stdout.write(
      `browser av_sync_ms median ${median(base).toFixed(1)} -> ${median(delayed).toFixed(1)} ms (+${shift.toFixed(1)}), ${base.length}/${delayed.length} markers\n`,
    );
    expect(Math.abs(shift - 60)).toBeLessThanOrEqual(10);
  }, 420_000);
});
