/** What the InfluxDB sink writes for saturation: per-second resources points, and the reasons on summary points. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { RunSummary } from '../../../src/report/summary.js';
import { InfluxSink } from '../../../src/sinks/influx-sink.js';

describe('InfluxSink saturation points', () => {
  it('writes `resources` points per process and the saturation reasons as a string field of the summary points', async () => {
    const pending = join(mkdtempSync(join(tmpdir(), 'glassbench-sink-')), 'influx-pending.lp');
    // nothing listens on 127.0.0.1:9: every point lands in the pending file, as line protocol
    const sink = new InfluxSink({
      connection: { url: 'http://127.0.0.1:9', db: 'x' },
      tags: { testid: 't', scenario: 's', placement: 'none' },
      pendingFile: pending,
    });
    sink.writeResources('runner-1', 1000, { cpu_pct: 97.5, rss_mb: 120, loop_delay_ms: 42 });
    sink.writeResources('machine', 1000, { machine_cpu_pct: 99, machine_steal_pct: 0 });
    const reason = {
      process: 'runner-1',
      measure: 'cpu_pct',
      line: 85,
      worst: 99,
      mean: 97,
      overShare: 1,
      overMs: 6000,
      text: 'runner-1: CPU over 85% of a core in 6 of 6 samples',
    };
    const summary = {
      endedAt: '2026-01-01T00:00:10.000Z',
      status: 'passed',
      saturated: true,
      saturation: {
        lines: { cpuPct: 85, loopDelayMs: 20, machineCpuPct: 90, machineStealPct: 10, share: 0.1, minOverSamples: 2 },
        reasons: [reason],
      },
      // a Rate over no events has rate null: it must not stop the points after it
      metrics: { frame_loss_ratio: { count: 0, hits: 0, rate: null }, frames_sent: { count: 10, rate: 1 } },
    } as unknown as RunSummary;
    await sink.writeSummary(summary);
    await sink.close();
    const lines = readFileSync(pending, 'utf8').trim().split('\n');
    expect(lines).toContain(
      'resources,placement=none,process=runner-1,scenario=s,testid=t cpu_pct=97.5,loop_delay_ms=42,rss_mb=120 1000000',
    );
    expect(lines).toContain(
      'resources,placement=none,process=machine,scenario=s,testid=t machine_cpu_pct=99,machine_steal_pct=0 1000000',
    );
    expect(lines.filter((l) => l.startsWith('summary,'))).toHaveLength(2);
    const point = lines.find((l) => l.startsWith('summary,') && l.includes('metric=frames_sent'));
    expect(point).toContain('saturated=T');
    expect(point).toContain('saturation_reasons="runner-1: CPU over 85% of a core in 6 of 6 samples"');
  });
});
