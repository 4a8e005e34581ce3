/**
 * reportData: what report.html draws, from a run's files. CDFs (thinned points, nearest-rank p50/p95, budgets
 * from `<` thresholds), the headline, latency per second, the waterfall, the bars, the first failed threshold,
 * stages over time, load stages, variants, and a clear error for a directory that is not a run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { GlassbenchError } from '../../../src/errors.js';
import { reportData } from '../../../src/report/report-data.js';

const startMs = Date.parse('2026-01-01T00:00:00.000Z');
const root = mkdtempSync(join(tmpdir(), 'gb-report-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;
function run(summary: Record<string, unknown>, records: Record<string, unknown>[] = []): string {
  const dir = join(root, `run-${(runs += 1)}`);
  mkdirSync(dir, { recursive: true });
  const full = {
    runId: 'r',
    status: 'passed',
    saturated: false,
    notes: [],
    scenario: { name: 's' },
    startedAt: new Date(startMs).toISOString(),
    processes: {},
    metrics: {},
    thresholds: {},
    ...summary,
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(full));
  writeFileSync(join(dir, 'frames.ndjson.gz'), gzipSync(records.map((r) => `${JSON.stringify(r)}\n`).join('')));
  return dir;
}

/** a receipt `atMs` after the start of the run */
const receipt = (atMs: number, values: Record<string, unknown>): Record<string, unknown> => ({
  frameId: `1:${atMs}`,
  publisher: 'p',
  receivedMs: startMs + atMs,
  ...values,
});

describe('reportData', () => {
  it('names a directory that is not a run', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const error = await reportData(empty).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GlassbenchError);
    expect((error as GlassbenchError).code).toBe('INVALID_INPUT');
    expect((error as Error).message).toBe(`${empty}: not a run directory (no summary.json)`);
  });

  it('carries the summary: title, run id, status, saturation, notes, and every threshold result', async () => {
    const dir = run({
      runId: 'abc',
      status: 'failed',
      notes: ['n1'],
      scenario: { name: 'calls' },
      thresholds: {
        frame_latency_ms: [
          { expr: 'p(95)<100', ok: true, actual: 50 },
          { expr: 'max<120', ok: false, actual: null },
        ],
      },
    });
    const data = await reportData(dir);
    expect(data).toMatchObject({ title: 'calls', runId: 'abc', status: 'failed', saturated: false, notes: ['n1'] });
    expect(data.thresholds).toEqual([
      { key: 'frame_latency_ms', expr: 'p(95)<100', ok: true, actual: 50 },
      { key: 'frame_latency_ms', expr: 'max<120', ok: false, actual: null },
    ]);
    expect(data.groups.map((g) => g.name)).toEqual(['calls']);
  });

  it('a CDF: at most ~200 points ending at (max, 1), nearest-rank p50 and p95 of every sample, budgets from < and <= only', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => receipt(i, { frameLatencyMs: i + 1 }));
    const thresholds = {
      frame_latency_ms: [
        { expr: 'p(95)<400', ok: false, actual: 950 },
        { expr: 'p(99)<=400', ok: false, actual: 990 },
        { expr: 'avg>1', ok: true, actual: 500 },
      ],
      'frame_latency_ms{room:r1}': [{ expr: 'max<900', ok: false, actual: 1000 }],
      uplink_ms: [{ expr: 'p(95)<5', ok: true, actual: 1 }],
    };
    const cdf = (await reportData(run({ thresholds }, records))).groups[0]?.cdfs.find(
      (c) => c.metric === 'frame_latency_ms',
    );
    expect(cdf?.p50).toBe(500);
    expect(cdf?.p95).toBe(950);
    expect(cdf?.budgets).toEqual([400, 900]);
    expect(cdf?.points.length).toBeLessThanOrEqual(201);
    expect(cdf?.points[0]).toEqual([1, 0.001]);
    expect(cdf?.points.at(-1)).toEqual([1000, 1]);
    const shares = cdf?.points.map(([, share]) => share) ?? [];
    expect([...shares].sort((a, b) => a - b)).toEqual(shares);
  });

  it('the headline is g2g_latency_ms when a browser rendered frames, frame_latency_ms otherwise', async () => {
    expect((await reportData(run({}, [receipt(10, { frameLatencyMs: 5 })]))).headline).toBe('frame_latency_ms');
    expect(
      (await reportData(run({}, [receipt(10, { frameLatencyMs: 5, g2gLatencyMs: 40, renderedMs: startMs + 50 })])))
        .headline,
    ).toBe('g2g_latency_ms');
  });

  it('bins the headline per second since the start, by render time when there is one; leaves out warm-up, speech and records without a time', async () => {
    const records = [
      receipt(100, { frameLatencyMs: 1 }),
      receipt(200, { frameLatencyMs: 3 }),
      receipt(2500, { frameLatencyMs: 10 }),
      { frameId: '9', publisher: 'p', receivedMs: startMs + 900, renderedMs: startMs + 1100, frameLatencyMs: 7 },
      receipt(300, { frameLatencyMs: 500, warmup: true }),
      { kind: 'speech', publisher: 'p', n: 1, receivedMs: startMs + 300, frameLatencyMs: 600 },
      { frameId: 'x', publisher: 'p', frameLatencyMs: 700 },
    ];
    const group = (await reportData(run({}, records))).groups[0];
    expect(group?.overTime).toEqual([
      {
        label: 's',
        points: [
          [0, 1, 3],
          [1, 7, 7],
          [2, 10, 10],
        ],
      },
    ]);
    expect(group?.cdfs.find((c) => c.metric === 'frame_latency_ms')?.points.at(-1)).toEqual([10, 1]);
  });

  it('the waterfall lists the stages measured, in frame-path order; the bars carry CPU, drops and losses, and medians', async () => {
    const records = [
      receipt(100, { frameLatencyMs: 10, downlinkMs: 3, uplinkMs: 2, aiHookMs: 4, aiStagesMs: { inference: 6 } }),
      receipt(200, { frameLatencyMs: 20, downlinkMs: 5, uplinkMs: 4, aiHookMs: 8, aiStagesMs: { inference: 2 } }),
    ];
    const processes = { sfu: { cpuPctMean: 40 }, 'browser-1': { cpuPctMean: 10 }, 'browser-2': { cpuPctMean: 21 } };
    const metrics = { frames_dropped_ai: { count: 2, rate: 1 }, frames_lost: { count: 3, rate: 1 } };
    const group = (await reportData(run({ processes, metrics }, records))).groups[0];
    expect(group?.waterfall).toEqual([
      { stage: 'uplink_ms', p50: 2, p95: 4 },
      { stage: 'downlink_ms', p50: 3, p95: 5 },
    ]);
    expect(group?.bars).toEqual({
      'SFU CPU %': 40,
      'browser CPU %': 15.5,
      'frames dropped or lost': 5,
      'frame_latency_ms p50': 10,
      'ai_inference_ms p50': 2,
      'ai_hook_ms p50': 4,
    });
  });

  it('names the failed threshold whose running aggregate went over first, and when', async () => {
    // frame latency is fine for 3 s then jumps; uplink is bad from the first second
    const records = [];
    for (let s = 0; s < 6; s += 1)
      for (let i = 0; i < 10; i += 1)
        records.push(receipt(s * 1000 + i * 10, { frameLatencyMs: s < 3 ? 10 : 1000, uplinkMs: s < 1 ? 1 : 90 }));
    const thresholds = {
      frame_latency_ms: [{ expr: 'max<100', ok: false, actual: 1000 }],
      uplink_ms: [
        { expr: 'max<50', ok: false, actual: 90 },
        { expr: 'p(50)<1000', ok: true, actual: 90 },
      ],
    };
    const data = await reportData(run({ thresholds }, records));
    // the first check is at the start of a second with at least 10 samples: uplink's max over second 0 is fine,
    // over seconds 0-1 it is 90
    expect(data.failedFirst).toEqual({ key: 'uplink_ms', expr: 'max<50', atS: 2 });
    const latencyOnly = await reportData(
      run({ thresholds: { frame_latency_ms: thresholds.frame_latency_ms } }, records),
    );
    expect(latencyOnly.failedFirst).toEqual({ key: 'frame_latency_ms', expr: 'max<100', atS: 4 });
  });

  it('a failed threshold never crossed second by second fails at the end of its samples', async () => {
    const records = [receipt(100, { frameLatencyMs: 500 }), receipt(1200, { frameLatencyMs: 500 })];
    const data = await reportData(
      run({ thresholds: { frame_latency_ms: [{ expr: 'p(95)<100', ok: false, actual: 500 }] } }, records),
    );
    expect(data.failedFirst).toEqual({ key: 'frame_latency_ms', expr: 'p(95)<100', atS: 2 });
  });

  it("stages over time: each stage's median per second, and the SFU's loop delay drawn at the start of the second it covers", async () => {
    const records = [
      receipt(100, { uplinkMs: 1, sfuMs: 2 }),
      receipt(200, { uplinkMs: 3, sfuMs: 2 }),
      receipt(1100, { uplinkMs: 5 }),
    ];
    const sfu = {
      forwardMs: null,
      seconds: [
        { tMs: 1000, cpuPct: 10, loopDelayP99Ms: 4 },
        { tMs: 2000, cpuPct: 10, loopDelayP99Ms: 9 },
      ],
    };
    const data = await reportData(run({ sfu }, records));
    expect(data.stagesOverTime).toEqual({
      stages: [
        {
          metric: 'uplink_ms',
          points: [
            [0, 1],
            [1, 5],
          ],
        },
        { metric: 'sfu_ms', points: [[0, 2]] },
      ],
      sfuLoopDelayMs: [
        [0, 4],
        [1, 9],
      ],
    });
    expect((await reportData(run({}, [receipt(100, { frameLatencyMs: 1 })]))).stagesOverTime).toBeUndefined();
  });

  it('load stages and peers are placed in seconds from the start of the run (the hold offset added)', async () => {
    const latency = { frame_latency_ms: { count: 3, p50: 10, p95: 12 } };
    const load = {
      executor: 'ramping-vus',
      holdOffsetMs: 2000,
      stages: [{ index: 0, label: 'ramp to 4', startMs: 0, endMs: 5000, fromTarget: 0, target: 4, latency }],
      timeline: [
        { tMs: 0, peers: 0, subscribers: 0 },
        { tMs: 1000, peers: 4, subscribers: 2 },
      ],
    };
    const data = await reportData(run({ load }));
    expect(data.load).toEqual({
      stages: [{ label: '0: ramp to 4', startS: 2, endS: 7, latency }],
      peers: [
        [2, 0],
        [3, 4],
      ],
    });
    expect((await reportData(run({ load: { ...load, stages: [] } }))).load).toBeUndefined();
  });

  it("k6 Rates per group, the bottleneck, and the saturation banner's reasons with advice", async () => {
    const saturation = { reasons: [{ process: 'runner-1', text: 'runner-1 CPU 98%' }] };
    const bottleneck = { process: 'sfu', reason: 'loop delay' };
    const data = await reportData(
      run({
        saturated: true,
        saturation,
        bottleneck,
        metrics: { frame_loss_ratio: { count: 10, hits: 1, rate: 0.1 }, frames_lost: { count: 1, rate: 0.1 } },
      }),
    );
    expect(data.rates).toEqual([{ group: 's', metric: 'frame_loss_ratio', count: 10, hits: 1, rate: 0.1 }]);
    expect(data.bottleneck).toEqual(bottleneck);
    expect(data.saturation?.reasons).toEqual(['runner-1 CPU 98%']);
    expect(data.saturation?.advice).toMatch(/runners/);
    expect((await reportData(run({ saturation: { reasons: [] } }))).saturation).toBeUndefined();
  });

  it('a run with variants: one group per variant from all its rounds, each round its own line over time', async () => {
    const roundA1 = run({}, [receipt(100, { frameLatencyMs: 10 })]);
    const roundA2 = run({}, [receipt(1100, { frameLatencyMs: 30 })]);
    const roundB1 = run({}, [receipt(100, { frameLatencyMs: 50 })]);
    const round = (dir: string, offsetMs: number): Record<string, unknown> => ({
      dir,
      status: 'passed',
      startedAt: new Date(startMs + offsetMs).toISOString(),
      durationMs: 1000,
    });
    const variants = [
      {
        name: 'edge',
        status: 'passed',
        rounds: [round(roundA1, 0), round(roundA2, 1000)],
        metrics: { frame_loss_ratio: { count: 4, hits: 0, rate: 0 }, frames_lost: { count: 1, rate: 1 } },
        cpuPctMean: { sfu: 12 },
      },
      {
        name: 'cloud',
        status: 'passed',
        rounds: [round(roundB1, 0)],
        metrics: { frames_dropped_ai: { count: 2, rate: 1 } },
        cpuPctMean: { sfu: 30, browser: 5 },
      },
    ];
    const data = await reportData(run({ variants }));
    expect(data.groups.map((g) => g.name)).toEqual(['edge', 'cloud']);
    const [edge, cloud] = data.groups;
    expect(edge?.overTime).toEqual([
      { label: 'edge r1', points: [[0, 10, 10]] },
      { label: 'edge r2', points: [[0, 30, 30]] },
    ]);
    expect(edge?.cdfs.find((c) => c.metric === 'frame_latency_ms')).toMatchObject({ p50: 10, p95: 30 });
    expect(edge?.bars).toMatchObject({ 'SFU CPU %': 12, 'browser CPU %': 0, 'frames dropped or lost': 1 });
    expect(cloud?.bars).toMatchObject({
      'SFU CPU %': 30,
      'browser CPU %': 5,
      'frames dropped or lost': 2,
      'frame_latency_ms p50': 50,
    });
    expect(data.rates).toEqual([{ group: 'edge', metric: 'frame_loss_ratio', count: 4, hits: 0, rate: 0 }]);
    // per-run extras are not drawn for variants
    expect(data.failedFirst).toBeUndefined();
    expect(data.stagesOverTime).toBeUndefined();
  });
});
