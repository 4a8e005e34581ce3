/**
 * The `clock` point: a run's (shard's) clock offset, uncertainty and method as fields for a dashboard, and its
 * whole summary.clock as JSON, which `report --influx` reads back into each shard of a merge.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { ClockSummary, RunSummary } from '../../../src/report/summary.js';
import { InfluxSink } from '../../../src/sinks/influx-sink.js';

async function linesOf(clock: ClockSummary): Promise<string[]> {
  const pending = join(mkdtempSync(join(tmpdir(), 'glassbench-sink-')), 'influx-pending.lp');
  // nothing listens on 127.0.0.1:9: the points go to the pending file, which is what a server would get
  const sink = new InfluxSink({
    connection: { url: 'http://127.0.0.1:9', db: 'x' },
    tags: { testid: 't', scenario: 's', placement: 'none', shard: '2/2' },
    pendingFile: pending,
  });
  const summary = { endedAt: '2026-01-01T00:00:00.000Z', saturated: false, status: 'passed', metrics: {}, clock };
  await sink.writeSummary(summary as unknown as RunSummary);
  await sink.close();
  return readFileSync(pending, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('clock,'));
}

const base: ClockSummary = {
  method: 'sfu-endpoint',
  offsetMs: 250.02,
  uncertaintyMs: 0.4,
  uncertaintyMaxMs: 0.5,
  resolutionMs: 0.0002,
  samples: 16,
  failed: 0,
  estimates: 2,
  offsetMinMs: 249.9,
  offsetMaxMs: 250.1,
  uncertainMetrics: [{ metric: 'uplink_ms', p50Ms: 0.5, uncertaintyMs: 0.5 }],
};

describe('InfluxSink clock point', () => {
  it("writes the shard's offset, uncertainty and method, and its summary.clock as JSON", async () => {
    const [line] = await linesOf(base);
    expect(line).toMatch(/^clock,method=sfu-endpoint,placement=none,scenario=s,shard=2\/2,testid=t /);
    for (const field of ['offset_ms=250.02', 'uncertainty_ms=0.4', 'samples=16i', 'uncertain_metrics=1i'])
      expect(line).toContain(field);
    const json = /summary_json="(.*?[^\\])"/.exec(line ?? '')?.[1]?.replace(/\\"/g, '"');
    expect(JSON.parse(json ?? '')).toEqual(base);
  });

  it('leaves the uncertainty out when it is unknown (InfluxDB has no null)', async () => {
    const [line] = await linesOf({ ...base, method: 'unknown', offsetMs: 0, uncertaintyMs: null });
    expect(line).toMatch(/^clock,method=unknown,/);
    expect(line).not.toContain('uncertainty_ms=');
  });
});
