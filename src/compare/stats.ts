/**
 * The statistics of `compare`: percentiles of frame-level samples and bootstrap confidence intervals of the
 * difference between two runs' percentiles. Resampling uses a seeded generator, so comparing the same two
 * runs twice gives the same intervals.
 */

/** The q-quantile (0..1) of ascending `sorted`, interpolating between neighbours; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (pos - lo);
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** mulberry32: a small, fast, seeded 32-bit generator (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Interval {
  /** candidate minus baseline, on the full samples */
  delta: number;
  /** 95% bootstrap percentile interval of the delta */
  lo: number;
  hi: number;
}

/** at most this many values per side enter a resample: intervals of larger runs are computed on a random subset */
const MAX_RESAMPLED = 2000;

function subsample(values: Float64Array, random: () => number): Float64Array {
  if (values.length <= MAX_RESAMPLED) return values;
  const out = new Float64Array(MAX_RESAMPLED);
  for (let i = 0; i < MAX_RESAMPLED; i += 1) out[i] = values[Math.floor(random() * values.length)] as number;
  return out;
}

/**
 * Bootstrap 95% interval of quantile(candidate, q) - quantile(baseline, q): both samples are resampled with
 * replacement `iterations` times (500 by default) (frames are treated as independent draws; runs with strong drift get
 * intervals too narrow, which is why scenarios can interleave variants in rounds).
 */
export function bootstrapQuantileDelta(baseline: Float64Array, candidate: Float64Array, q: number, iterations = 500, seed = 1): Interval {
  const delta = quantile(candidate, q) - quantile(baseline, q);
  const random = seededRandom(seed);
  const base = subsample(baseline, random);
  const cand = subsample(candidate, random);
  const a = new Float64Array(base.length);
  const b = new Float64Array(cand.length);
  const deltas = new Float64Array(iterations);
  for (let i = 0; i < iterations; i += 1) {
    for (let j = 0; j < a.length; j += 1) a[j] = base[Math.floor(random() * base.length)] as number;
    for (let j = 0; j < b.length; j += 1) b[j] = cand[Math.floor(random() * cand.length)] as number;
    a.sort();
    b.sort();
    deltas[i] = quantile(b, q) - quantile(a, q);
  }
  deltas.sort();
  return { delta, lo: quantile(deltas, 0.025), hi: quantile(deltas, 0.975) };
}
