/**
 * Frames of the warm-up are judged and written as they age, as in the hold: by the time the measured hold
 * starts, frames.ndjson.gz already holds the warm-up's older frames (marked `warmup`), instead of the harness
 * keeping them all in memory and writing them at once when the hold starts.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFramesFile } from '../../src/sinks/frames-file.js';
import { expectAccountingHolds, tempDir } from '../fixtures/cli.js';

async function countRecords(path: string): Promise<{ all: number; warmup: number }> {
  const out = { all: 0, warmup: 0 };
  await readFramesFile(path, (record) => {
    out.all += 1;
    if (record['warmup'] === true) out.warmup += 1;
  });
  return out;
}

describe('warm-up', () => {
  it('writes warm-up frames during the warm-up, not all at the start of the hold', async () => {
    const scenario = scenarioFromText(`name: warmup-frames
duration: 2s
warmup: 6s
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`);
    const dir = await tempDir();
    const framesPath = join(dir, 'out', 'frames.ndjson.gz');
    let atHoldStart: Promise<{ all: number; warmup: number }> | undefined;
    const { summary } = await runScenario({
      scenario,
      runId: 'warmup-frames',
      outDir: join(dir, 'out'),
      onEvent: (event) => {
        if (event.type === 'phase' && event.phase === 'running') atHoldStart = countRecords(framesPath);
      },
    });
    expect(summary.status).toBe('passed');
    expectAccountingHolds(summary);
    const early = await atHoldStart;
    const end = await countRecords(framesPath);
    // 6 s of warm-up at 30 fps to 2 subscribers: frames older than the loss window and the delivery margin (3 s)
    // are judged once a second, and the file is flushed once a second: well over 100 of them are in it already
    expect(early?.warmup).toBeGreaterThan(100);
    expect(early?.all).toBe(early?.warmup);
    expect(end.warmup).toBeGreaterThan(early?.warmup ?? 0);
    expect(end.all).toBeGreaterThan(end.warmup);
  });
});
