/**
 * The samples a comparison works on: which records count (no warm-up), how often each metric counts (per
 * receipt, per frame, per utterance, per listener), which cluster each value belongs to, and the errors a
 * directory that is not a run (or a run with variants read without one) gets.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { samplesFromDir, SampleSink } from '../../../src/compare/samples.js';
import { GlassbenchError } from '../../../src/errors.js';

/** values of `metric` paired with their cluster ids */
function pairs(
  sink: { values: Map<string, number[]>; clusters: Map<string, number[]> },
  metric: string,
): [number, number][] {
  const values = sink.values.get(metric) ?? [];
  const clusters = sink.clusters.get(metric) ?? [];
  expect(clusters).toHaveLength(values.length);
  return values.map((v, i) => [v, clusters[i] as number]);
}

describe('SampleSink', () => {
  it('leaves warm-up records out', () => {
    const sink = new SampleSink();
    sink.push({ frameId: '1', publisher: 'p', frameLatencyMs: 50, warmup: true });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 300, warmup: true });
    expect(sink.values.size).toBe(0);
  });

  it("counts per-receipt latencies once per receiver, the AI hook's once per frame, and puts a frame's copies in one cluster", () => {
    const sink = new SampleSink();
    sink.push({
      frameId: '1',
      publisher: 'p',
      subscriber: 's1',
      frameLatencyMs: 10,
      uplinkMs: 2,
      aiHookMs: 7,
      aiQueueMs: 1,
      aiStagesMs: { inference: 5 },
    });
    sink.push({
      frameId: '1',
      publisher: 'p',
      subscriber: 's2',
      frameLatencyMs: 12,
      uplinkMs: 2,
      aiHookMs: 7,
      aiQueueMs: 1,
      aiStagesMs: { inference: 5 },
    });
    sink.push({ frameId: '2', publisher: 'p', subscriber: 's1', frameLatencyMs: 20, aiHookMs: 9 });
    // the same frame id from another publisher is another frame
    sink.push({ frameId: '1', publisher: 'q', subscriber: 's1', frameLatencyMs: 30, aiHookMs: 11 });
    const latency = pairs(sink, 'frame_latency_ms');
    expect(latency.map(([v]) => v)).toEqual([10, 12, 20, 30]);
    const [a, b, c, d] = latency.map(([, cluster]) => cluster);
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
    expect(sink.values.get('uplink_ms')).toEqual([2, 2]);
    expect(pairs(sink, 'ai_hook_ms')).toEqual([
      [7, a],
      [9, c],
      [11, d],
    ]);
    expect(sink.values.get('ai_queue_ms')).toEqual([1]);
    expect(sink.values.get('ai_inference_ms')).toEqual([5]);
  });

  it('a record without a frame id counts its receipt latencies, each in a cluster of its own, and no per-frame metric', () => {
    const sink = new SampleSink();
    sink.push({ publisher: 'p', frameLatencyMs: 10, aiHookMs: 7 });
    sink.push({ publisher: 'p', frameLatencyMs: 11, aiHookMs: 7 });
    const clusters = pairs(sink, 'frame_latency_ms').map(([, cluster]) => cluster);
    expect(new Set(clusters).size).toBe(2);
    expect(sink.values.has('ai_hook_ms')).toBe(false);
  });

  it('skips values that are not finite numbers', () => {
    const sink = new SampleSink();
    sink.push({
      frameId: '1',
      publisher: 'p',
      frameLatencyMs: '10',
      g2gLatencyMs: Number.NaN,
      uplinkMs: null,
      sfuMs: Number.POSITIVE_INFINITY,
      downlinkMs: 3,
    });
    expect([...sink.values.keys()]).toEqual(['downlink_ms']);
  });

  it("counts an utterance's chain times once, its listeners' latencies once each, all in the utterance's cluster", () => {
    const sink = new SampleSink();
    const utterance = { kind: 'speech', publisher: 'p', n: 1, asrMs: 300, mtMs: 40, ttsTtfbMs: 90, werPct: 12.5 };
    sink.push({ ...utterance, subscriber: 's1', subtitleLatencyMs: 500, s2sLatencyMs: 900 });
    sink.push({ ...utterance, subscriber: 's2', subtitleLatencyMs: 520 });
    sink.push({ kind: 'speech', publisher: 'p', n: 2, asrMs: 310, subtitleLatencyMs: 510 });
    expect(sink.values.get('asr_ms')).toEqual([300, 310]);
    expect(sink.values.get('mt_ms')).toEqual([40]);
    expect(sink.values.get('tts_ttfb_ms')).toEqual([90]);
    expect(sink.values.get('asr_wer_pct')).toEqual([12.5]);
    expect(sink.values.get('s2s_latency_ms')).toEqual([900]);
    const subtitles = pairs(sink, 'subtitle_latency_ms');
    expect(subtitles.map(([v]) => v)).toEqual([500, 520, 510]);
    expect(subtitles[0]?.[1]).toBe(subtitles[1]?.[1]);
    expect(subtitles[2]?.[1]).not.toBe(subtitles[0]?.[1]);
    expect(pairs(sink, 'asr_ms')[0]?.[1]).toBe(subtitles[0]?.[1]);
  });

  it('a speech record without an utterance number counts every time, clustered by the second its utterance ended in', () => {
    const sink = new SampleSink();
    sink.push({ kind: 'speech', publisher: 'p', utteranceEndMs: 5200, asrMs: 1 });
    sink.push({ kind: 'speech', publisher: 'p', utteranceEndMs: 5900, asrMs: 2 });
    sink.push({ kind: 'speech', publisher: 'p', utteranceEndMs: 6000, asrMs: 3 });
    sink.push({ kind: 'speech', publisher: 'p', asrMs: 4 });
    sink.push({ kind: 'speech', publisher: 'p', asrMs: 5 });
    const [a, b, c, d, e] = pairs(sink, 'asr_ms').map(([, cluster]) => cluster);
    expect(a).toBe(b);
    expect(new Set([a, c, d, e]).size).toBe(4);
  });

  it('after nextSource() the same frame or utterance is another one: counted again, in a new cluster', () => {
    const sink = new SampleSink();
    sink.push({ frameId: '1', publisher: 'p', frameLatencyMs: 10, aiHookMs: 7 });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 300 });
    sink.nextSource();
    sink.push({ frameId: '1', publisher: 'p', frameLatencyMs: 11, aiHookMs: 8 });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 310 });
    const hook = pairs(sink, 'ai_hook_ms');
    expect(hook.map(([v]) => v)).toEqual([7, 8]);
    expect(hook[0]?.[1]).not.toBe(hook[1]?.[1]);
    expect(sink.values.get('asr_ms')).toEqual([300, 310]);
  });
});

describe('samplesFromDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'gb-samples-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function run(name: string, summary: Record<string, unknown> | string, records?: Record<string, unknown>[]): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'summary.json'), typeof summary === 'string' ? summary : JSON.stringify(summary));
    if (records)
      writeFileSync(join(dir, 'frames.ndjson.gz'), gzipSync(records.map((r) => `${JSON.stringify(r)}\n`).join('')));
    return dir;
  }
  const base = { runId: 'r1', status: 'passed', scenario: { name: 'calls' }, startedAt: '2026-01-01T00:00:00.000Z' };

  async function invalid(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GlassbenchError);
    expect((error as GlassbenchError).code).toBe('INVALID_INPUT');
    return (error as Error).message;
  }

  it("reads a run's frames with its identity", async () => {
    const dir = run('plain', base, [
      { frameId: '1', publisher: 'p', frameLatencyMs: 10 },
      { frameId: '2', publisher: 'p', frameLatencyMs: 20, warmup: true },
    ]);
    const samples = await samplesFromDir(dir);
    expect(samples).toMatchObject({
      source: dir,
      runId: 'r1',
      scenario: 'calls',
      status: 'passed',
      startedAt: base.startedAt,
    });
    expect(samples.values.get('frame_latency_ms')).toEqual([10]);
  });

  it('names a directory without summary.json, and a summary that is not JSON', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(await invalid(samplesFromDir(empty))).toBe(`${empty}: not a run directory (no summary.json)`);
    const broken = run('broken', '{ not json');
    expect(await invalid(samplesFromDir(broken))).toMatch(
      new RegExp(`^${join(broken, 'summary.json')}: not readable JSON \\(`),
    );
  });

  it('reads a run without a frames file as no samples, and names a frames file it cannot read', async () => {
    const none = run('no-frames', base);
    expect((await samplesFromDir(none)).values.size).toBe(0);
    const dir = run('not-gzip', base);
    writeFileSync(join(dir, 'frames.ndjson.gz'), 'plain text, not gzip');
    expect(await invalid(samplesFromDir(dir))).toMatch(new RegExp(`^${join(dir, 'frames.ndjson.gz')}: `));
  });

  it('a run with variants needs --variant naming one of them, and reads every round of that one as other frames', async () => {
    const r1 = run('v/fast-r1', base, [{ frameId: '1', publisher: 'p', frameLatencyMs: 10, aiHookMs: 5 }]);
    const r2 = run('v/fast-r2', base, [{ frameId: '1', publisher: 'p', frameLatencyMs: 12, aiHookMs: 6 }]);
    const slow = run('v/slow-r1', base, [{ frameId: '1', publisher: 'p', frameLatencyMs: 90 }]);
    const round = (dir: string): Record<string, unknown> => ({
      dir,
      status: 'passed',
      startedAt: base.startedAt,
      durationMs: 1000,
    });
    const dir = run('v', {
      ...base,
      variants: [
        { name: 'fast', status: 'failed', rounds: [round(r1), round(r2)] },
        { name: 'slow', status: 'passed', rounds: [round(slow)] },
      ],
    });
    expect(await invalid(samplesFromDir(dir))).toBe(
      `${dir}: a run with variants (fast, slow): name one with --variant`,
    );
    expect(await invalid(samplesFromDir(dir, 'medium'))).toBe(
      `${dir}: a run with variants (fast, slow): name one with --variant`,
    );
    const fast = await samplesFromDir(dir, 'fast');
    expect(fast).toMatchObject({ source: `${dir} (fast)`, runId: 'r1/fast', status: 'failed' });
    expect(fast.values.get('frame_latency_ms')).toEqual([10, 12]);
    expect(fast.values.get('ai_hook_ms')).toEqual([5, 6]);
    expect(new Set(fast.clusters.get('frame_latency_ms')).size).toBe(2);
  });

  it('refuses --variant for a run without variants', async () => {
    const dir = run('plain-variant', base, []);
    expect(await invalid(samplesFromDir(dir, 'fast'))).toBe(`${dir}: --variant fast, but this run has no variants`);
  });
});
