import { describe, expect, it } from 'vitest';

import type { RunSummary } from '../../../src/report/summary.js';
import { renderJunit } from '../../../src/sinks/junit.js';

const base = {
  scenario: { name: 'a<b', file: 'x', durationMs: 1, rooms: 1, target: 'reference', addDelayMs: 0 },
  durationMs: 1500,
  startedAt: '2026-01-01T00:00:00.000Z',
  thresholds: {
    frame_latency_ms: [
      { expr: 'p(95)<400', ok: true, actual: 12.5 },
      { expr: 'max<10', ok: false, actual: 99 },
    ],
    'frames_lost{room:r1}': [{ expr: 'count==0', ok: false, actual: null }],
  },
} as unknown as RunSummary;

describe('renderJunit', () => {
  it('writes one escaped test case per threshold with failures', () => {
    const xml = renderJunit({ ...base, status: 'failed' });
    expect(xml).toContain('<testsuite name="glassbench a&lt;b" tests="3" failures="2" errors="0" time="1.500"');
    expect(xml).toContain('name="frame_latency_ms p(95)&lt;400"><system-out>actual 12.5</system-out>');
    expect(xml).toContain('<failure message="frame_latency_ms max&lt;10: actual 99"/>');
    expect(xml).toContain('<failure message="frames_lost{room:r1} count==0: actual no samples"/>');
  });

  it('adds an error case when the run did not complete', () => {
    const xml = renderJunit({
      ...base,
      thresholds: {},
      status: 'error',
      error: { code: 'RUN_FAILED', message: 'no publisher connected' },
    });
    expect(xml).toContain('errors="1"');
    expect(xml).toContain('<error message="no publisher connected"/>');
  });

  it('adds a validity case "load generator not saturated": passing with the lines, failing with each reason', () => {
    const lines = {
      cpuPct: 85,
      loopDelayMs: 20,
      machineCpuPct: 90,
      machineStealPct: 10,
      share: 0.1,
      minOverSamples: 2,
    };
    const ok = renderJunit({ ...base, status: 'failed', saturated: false, saturation: { lines, reasons: [] } });
    expect(ok).toContain('tests="4" failures="2"');
    expect(ok).toContain(
      '<testcase classname="glassbench.validity" name="load generator not saturated"><system-out>lines: CPU 85% of a core',
    );
    const reason = {
      process: 'runner-1',
      measure: 'cpu_pct',
      line: 85,
      worst: 99,
      mean: 95,
      overShare: 1,
      overMs: 6000,
      text: 'runner-1: CPU over 85% of a core in 6 of 6 samples',
    };
    const bad = renderJunit({ ...base, status: 'passed', saturated: true, saturation: { lines, reasons: [reason] } });
    expect(bad).toContain('tests="4" failures="3"');
    expect(bad).toMatch(
      /<testcase classname="glassbench.validity" name="load generator not saturated"><failure message="the load generator was saturated, so these numbers measure the harness, not the system: runner-1: CPU over 85% of a core in 6 of 6 samples">/,
    );
  });
});

describe('renderJunit with a Rate threshold', () => {
  it('shows the fraction as a percentage with how many of how many, not 0.004 rounded', () => {
    const summary = {
      ...base,
      status: 'failed',
      metrics: { frame_loss_ratio: { count: 5000, hits: 21, rate: 0.0042 } },
      thresholds: {
        frame_loss_ratio: [{ expr: 'rate<0.001', ok: false, actual: 0.0042 }],
        'frame_loss_ratio{room:r1}': [{ expr: 'rate<0.01', ok: true, actual: 0.0004 }],
      },
    } as unknown as RunSummary;
    const xml = renderJunit(summary);
    expect(xml).toContain(
      '<failure message="frame_loss_ratio rate&lt;0.001: actual 0.42% (rate 0.0042, 21 of 5000)"/>',
    );
    expect(xml).toContain('<system-out>actual 0.04% (rate 0.0004)</system-out>');
  });
});
