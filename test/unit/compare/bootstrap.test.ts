import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { SampleSink } from '../../../src/compare/samples.js';
import { bootstrapQuantileDelta, seededRandom } from '../../../src/compare/stats.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/data/aa-synthetic-1x4.ndjson.gz');

/** The recorded run's frame records (test/fixtures/data/README.md says how it was made). */
function recordedFrames(): Record<string, unknown>[] {
  return gunzipSync(readFileSync(FIXTURE))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('SampleSink clusters', () => {
  it('puts every receiver of one frame in one cluster, other frames, records without a frame id and other rounds in their own', () => {
    const sink = new SampleSink();
    sink.push({ publisher: 'p', frameId: '1:1', subscriber: 'a', frameLatencyMs: 10 });
    sink.push({ publisher: 'p', frameId: '1:1', subscriber: 'b', frameLatencyMs: 11 });
    sink.push({ publisher: 'q', frameId: '1:1', subscriber: 'a', frameLatencyMs: 12 });
    sink.push({ publisher: 'p', frameId: '1:2', subscriber: 'a', frameLatencyMs: 13 });
    sink.push({ subscriber: 'a', frameLatencyMs: 14 });
    sink.push({ subscriber: 'b', frameLatencyMs: 15 });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 1900, s2sLatencyMs: 2400 });
    sink.push({ kind: 'speech', publisher: 'p', n: 1, asrMs: 1900, s2sLatencyMs: 2450 });
    sink.nextSource();
    sink.push({ publisher: 'p', frameId: '1:1', subscriber: 'a', frameLatencyMs: 16 });
    const ids = sink.clusters.get('frame_latency_ms') ?? [];
    expect(sink.values.get('frame_latency_ms')).toEqual([10, 11, 12, 13, 14, 15, 16]);
    expect(ids[0]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(6);
    // the utterance's time (once) and both listeners' latencies share one cluster
    const speech = [...(sink.clusters.get('asr_ms') ?? []), ...(sink.clusters.get('s2s_latency_ms') ?? [])];
    expect(speech).toHaveLength(3);
    expect(new Set(speech).size).toBe(1);
  });
});

describe('bootstrapQuantileDelta resamples whole clusters', () => {
  it('gives a frame seen by 16 receivers the weight of one frame, not of 16 independent ones', () => {
    // 400 frames a side, each seen by 16 receivers within +/- 0.05 ms of the frame's own latency
    const random = seededRandom(7);
    const side = (shift: number): { values: number[]; clusters: number[] } => {
      const values: number[] = [];
      const clusters: number[] = [];
      for (let f = 0; f < 400; f += 1) {
        const frameMs = 20 + 10 * (random() + random() + random() - 1.5) + shift;
        for (let r = 0; r < 16; r += 1) {
          values.push(frameMs + 0.1 * (random() - 0.5));
          clusters.push(f);
        }
      }
      return { values, clusters };
    };
    const base = side(0);
    const cand = side(0);
    const clustered = bootstrapQuantileDelta(base, cand, 0.5, 500, 3);
    const independent = bootstrapQuantileDelta({ values: base.values }, { values: cand.values }, 0.5, 500, 3);
    expect(bootstrapQuantileDelta(base, cand, 0.5, 500, 3)).toEqual(clustered);
    // the information is that of 400 frames: sqrt(16) = 4 times the width of 6400 independent values
    const ratio = (clustered.hi - clustered.lo) / (independent.hi - independent.lo);
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(6);
  });
});

describe('A/A on recorded frames (acceptance 4)', () => {
  const records = recordedFrames();

  /** The records split into two halves by whole frames, at random (seeded): frame key -> half. */
  function split(seed: number): [Record<string, unknown>[], Record<string, unknown>[]] {
    const random = seededRandom(seed);
    const half = new Map<string, number>();
    const halves: [Record<string, unknown>[], Record<string, unknown>[]] = [[], []];
    for (const record of records) {
      const key = `${String(record['publisher'])}/${String(record['frameId'])}`;
      let h = half.get(key);
      if (h === undefined) {
        h = random() < 0.5 ? 0 : 1;
        half.set(key, h);
      }
      halves[h]?.push(record);
    }
    return halves;
  }

  function samples(half: Record<string, unknown>[], shiftMs: number): { values: number[]; clusters: number[] } {
    const sink = new SampleSink();
    for (const record of half) sink.push({ ...record, frameLatencyMs: (record['frameLatencyMs'] as number) + shiftMs });
    return { values: sink.values.get('frame_latency_ms') ?? [], clusters: sink.clusters.get('frame_latency_ms') ?? [] };
  }

  it('the recording is what the README says: 1 publisher, 4 receivers, every frame at every receiver', () => {
    const frames = new Set(records.map((r) => `${String(r['publisher'])}/${String(r['frameId'])}`));
    expect(new Set(records.map((r) => r['subscriber'])).size).toBe(4);
    expect(frames.size).toBeGreaterThan(500);
    expect(records.length).toBeGreaterThan(3.9 * frames.size);
  });

  it('20 splits into two halves: the median difference interval contains 0 in at least 18; +10 ms is found in all 20', () => {
    const intervals = Array.from({ length: 20 }, (_, i) => {
      const [a, b] = split(1000 + i);
      return {
        same: bootstrapQuantileDelta(samples(a, 0), samples(b, 0), 0.5, 500, i + 1),
        shifted: bootstrapQuantileDelta(samples(a, 0), samples(b, 10), 0.5, 500, i + 1),
      };
    });
    const covering = intervals.filter(({ same }) => same.lo <= 0 && same.hi >= 0).length;
    expect(covering).toBeGreaterThanOrEqual(18);
    for (const { same, shifted } of intervals) {
      expect(shifted.lo).toBeGreaterThan(0);
      // a nearest-rank median moves with the values: the shifted delta is the A/A delta plus 10 exactly
      expect(shifted.delta - same.delta).toBeCloseTo(10, 9);
    }
    // and the shifted intervals lie around +10 as the A/A ones lie around 0
    expect(intervals.filter(({ shifted }) => shifted.lo <= 10 && shifted.hi >= 10).length).toBeGreaterThanOrEqual(18);
  });
});
