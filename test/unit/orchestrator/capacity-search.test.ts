/** The capacity search: where it steps, where it stops, and that a saturated step is never the knee. */
import { describe, expect, it } from 'vitest';

import { kneeOf, searchCapacity, type StepVerdict } from '../../../src/orchestrator/capacity-search.js';

/** a system that passes up to `systemLimit` calls, with a generator that saturates from `harnessLimit` calls */
function fake(
  systemLimit: number,
  harnessLimit = Number.POSITIVE_INFINITY,
): { measured: number[]; measure: (calls: number) => Promise<StepVerdict> } {
  const measured: number[] = [];
  return {
    measured,
    measure: async (calls) => {
      measured.push(calls);
      if (calls >= harnessLimit) return 'saturated';
      return calls <= systemLimit ? 'pass' : 'fail';
    },
  };
}

describe('searchCapacity', () => {
  it('step search: the knee is the last pass below the first failure', async () => {
    const f = fake(3);
    const out = await searchCapacity({ start: 1, step: 1, max: 10, search: 'step' }, f.measure);
    expect(f.measured).toEqual([1, 2, 3, 4]);
    expect(out).toEqual({ lastPass: 3, firstFail: 4, harnessLimit: null, broken: null });
    expect(kneeOf(out)).toBe(3);
  });

  it('bisect: doubles to the first failure, then halves the gap down to the step', async () => {
    const f = fake(5);
    const out = await searchCapacity({ start: 1, step: 1, max: 64, search: 'bisect' }, f.measure);
    expect(f.measured).toEqual([1, 2, 4, 8, 6, 5]);
    expect(kneeOf(out)).toBe(5);
    expect(out.firstFail).toBe(6);
  });

  it('stops at a saturated step and reports the harness limit, not a knee, when no threshold failed before it', async () => {
    const f = fake(100, 3);
    const out = await searchCapacity({ start: 1, step: 1, max: 10, search: 'step' }, f.measure);
    expect(f.measured).toEqual([1, 2, 3]);
    expect(out).toEqual({ lastPass: 2, firstFail: null, harnessLimit: 3, broken: null });
    expect(kneeOf(out)).toBeNull();
  });

  it("a saturated step that also failed a threshold is still the harness limit (its failure may be the harness's)", async () => {
    // the generator saturates exactly where the system would fail: the verdict is saturated either way
    const f = fake(2, 3);
    const out = await searchCapacity({ start: 1, step: 1, max: 10, search: 'step' }, f.measure);
    expect(out.firstFail).toBeNull();
    expect(out.harnessLimit).toBe(3);
    expect(kneeOf(out)).toBeNull();
  });

  it('saturating at the first step leaves nothing known: no pass, no knee', async () => {
    const f = fake(100, 1);
    const out = await searchCapacity({ start: 1, step: 1, max: 10, search: 'bisect' }, f.measure);
    expect(f.measured).toEqual([1]);
    expect(out).toEqual({ lastPass: null, firstFail: null, harnessLimit: 1, broken: null });
    expect(kneeOf(out)).toBeNull();
  });

  it('bisect: a saturated step while narrowing stops the search; the knee stays the last pass below a valid failure', async () => {
    // rising: 1, 2, 4 pass, 8 fails (unsaturated); narrowing tries 6, where the generator saturates
    const verdicts = new Map<number, StepVerdict>([
      [1, 'pass'],
      [2, 'pass'],
      [4, 'pass'],
      [8, 'fail'],
      [6, 'saturated'],
    ]);
    const measured: number[] = [];
    const out = await searchCapacity({ start: 1, step: 1, max: 64, search: 'bisect' }, async (calls) => {
      measured.push(calls);
      return verdicts.get(calls) ?? 'pass';
    });
    expect(measured).toEqual([1, 2, 4, 8, 6]);
    expect(out).toEqual({ lastPass: 4, firstFail: 8, harnessLimit: 6, broken: null });
    expect(kneeOf(out)).toBe(4);
  });

  it('stops at a broken step, and when aborted', async () => {
    const out = await searchCapacity({ start: 1, step: 1, max: 10, search: 'step' }, async (calls) =>
      calls === 2 ? 'broken' : 'pass',
    );
    expect(out).toEqual({ lastPass: 1, firstFail: null, harnessLimit: null, broken: 2 });
    let n = 0;
    const aborted = await searchCapacity(
      { start: 1, step: 1, max: 10, search: 'step' },
      async () => {
        n += 1;
        return 'pass';
      },
      () => n >= 2,
    );
    expect(aborted.lastPass).toBe(2);
  });

  it('every step passing up to --max: the knee is at least --max', async () => {
    const f = fake(100);
    const out = await searchCapacity({ start: 2, step: 2, max: 6, search: 'step' }, f.measure);
    expect(f.measured).toEqual([2, 4, 6]);
    expect(kneeOf(out)).toBe(6);
    expect(out.firstFail).toBeNull();
  });
});
