import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { RunSummary } from '../../../src/report/summary.js';
import { InfluxSink } from '../../../src/sinks/influx-sink.js';

describe('InfluxSink summary points', () => {
  it('writes a Rate as count, hits and rate, and leaves the rate out when it had no samples', async () => {
    const pending = join(mkdtempSync(join(tmpdir(), 'glassbench-sink-')), 'influx-pending.lp');
    // nothing listens on 127.0.0.1:9: the points go to the pending file, which is what a server would get
    const sink = new InfluxSink({
      connection: { url: 'http://127.0.0.1:9', db: 'x' },
      tags: { testid: 't', scenario: 's', placement: 'none' },
      pendingFile: pending,
    });
    const summary = {
      endedAt: '2026-01-01T00:00:00.000Z',
      saturated: false,
      status: 'passed',
      metrics: {
        frame_loss_ratio: { count: 2000, hits: 25, rate: 0.0125 },
        frame_loss_ratio_empty: { count: 0, hits: 0, rate: null },
        frames_lost: { count: 25, rate: 2.5 },
      },
    } as unknown as RunSummary;
    await sink.writeSummary(summary);
    await sink.close();
    const lines = readFileSync(pending, 'utf8').split('\n');
    expect(lines.find((l) => l.includes('metric=frame_loss_ratio,'))).toMatch(
      / count=2000,hits=25,rate=0\.0125,saturated=F,status="passed" 1767225600000000$/,
    );
    expect(lines.find((l) => l.includes('metric=frame_loss_ratio_empty,'))).toMatch(/ count=0,hits=0,saturated=F/);
    expect(lines.find((l) => l.includes('metric=frames_lost,'))).toMatch(/ count=25,rate=2\.5,saturated=F/);
  });
});
