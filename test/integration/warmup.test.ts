/**
 * Frames of the warm-up are judged and written as they age, as in the hold: while the warm-up is still going,
 * frames.ndjson.gz already holds the warm-up's older frames (marked `warmup`) and keeps growing, instead of the
 * harness keeping them all in memory and writing them at once when the hold starts.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFramesFile } from '../../src/sinks/frames-file.js';
import { expectAccountingHolds, tempDir } from '../fixtures/cli.js';

interface Counts {
  all: number;
  warmup: number;
}

async function countRecords(path: string): Promise<Counts> {
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
warmup: 10s
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`);
    const dir = await tempDir();
    const framesPath = join(dir, 'out', 'frames.ndjson.gz');
    // The file is read every 500 ms from the start of the warm-up until the hold starts. How soon the first
    // frames age past the loss window depends on how fast the peers start sending, so no count is fixed: what
    // is asserted is that the file held frames, all of them warm-up frames, and grew, before the hold began.
    const duringWarmup: Counts[] = [];
    let poller: NodeJS.Timeout | undefined;
    let reading = false;
    const stopPolling = (): void => {
      if (poller) clearInterval(poller);
      poller = undefined;
    };
    const { summary } = await runScenario({
      scenario,
      runId: 'warmup-frames',
      outDir: join(dir, 'out'),
      onEvent: (event) => {
        if (event.type !== 'phase') return;
        if (event.phase === 'warming-up' && !poller) {
          poller = setInterval(() => {
            if (reading) return;
            reading = true;
            void countRecords(framesPath)
              .then((counts) => {
                if (poller) duringWarmup.push(counts);
              })
              .catch(() => undefined) // the file may not exist yet
              .finally(() => (reading = false));
          }, 500);
        }
        if (event.phase === 'running') stopPolling();
      },
    });
    stopPolling();
    expect(summary.status).toBe('passed');
    expectAccountingHolds(summary);
    const nonEmpty = duringWarmup.filter((counts) => counts.all > 0);
    expect(nonEmpty.every((counts) => counts.all === counts.warmup)).toBe(true);
    const distinct = new Set(nonEmpty.map((counts) => counts.warmup));
    expect(distinct.size).toBeGreaterThanOrEqual(2);
    const last = nonEmpty.at(-1)?.warmup ?? 0;
    const end = await countRecords(framesPath);
    expect(end.warmup).toBeGreaterThanOrEqual(last);
    expect(end.all).toBeGreaterThan(end.warmup);
  });
});
