/**
 * The statistics of `compare` and the report: percentiles of exact samples and bootstrap confidence
 * intervals of the difference between two runs' percentiles. Resampling uses a seeded generator, so
 * comparing the same two runs twice gives the same intervals.
 *
 * One percentile definition everywhere (docs/outputs.md, Percentiles): nearest rank, the smallest sample
 * v with at least p% of the samples <= v. The run's summary and thresholds get it from an HDR histogram
 * (src/metrics/histogram.ts, within 0.1%), InfluxQL's PERCENTILE() is nearest rank too.
 */

/**
 * The q-quantile (0..1) of ascending `sorted` by nearest rank: the sample at rank ceil(q * n) (1-based; the
 * smallest for q = 0); NaN when empty. No interpolation: every value reported is one that was measured.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  // q * n carries float noise (0.07 * 100 = 7.000000000000001): without the tolerance a rank that is exactly
  // an integer would round up to the next sample
  const rank = Math.ceil(q * n - 1e-9);
  return sorted[Math.min(n, Math.max(1, rank)) - 1] as number;
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

/**
 * Samples with the cluster each belongs to: values that are not independent draws (every receiver's copy of
 * one frame; the listeners of one utterance) share a cluster id, and the bootstrap resamples whole clusters.
 */
export interface ClusteredSamples {
  values: ArrayLike<number>;
  /** cluster id of each value (same length as `values`); without it every value is its own cluster */
  clusters?: ArrayLike<number>;
}

/**
 * A resample takes about this many values a side at most: a run with more is resampled from a random subset
 * of its clusters (whole clusters, never part of one), so a long run costs no more than a short one.
 */
const MAX_RESAMPLED_VALUES = 4000;

/** Clusters laid out flat: cluster i holds data[starts[i]] .. data[starts[i + 1] - 1]. */
interface Grouped {
  data: Float64Array;
  starts: Int32Array;
}

/** The values grouped by cluster, clusters in first-seen order. */
function groupByCluster(samples: ClusteredSamples): Grouped {
  const { values, clusters } = samples;
  const n = values.length;
  if (!clusters) return { data: Float64Array.from(values), starts: Int32Array.from({ length: n + 1 }, (_, i) => i) };
  if (clusters.length !== n) throw new Error(`clusters (${clusters.length}) and values (${n}) differ in length`);
  const order = new Map<number, number[]>();
  for (let i = 0; i < n; i += 1) {
    const id = clusters[i] as number;
    const members = order.get(id);
    if (members) members.push(i);
    else order.set(id, [i]);
  }
  const data = new Float64Array(n);
  const starts = new Int32Array(order.size + 1);
  let at = 0;
  let k = 0;
  for (const members of order.values()) {
    starts[k] = at;
    for (const i of members) data[at++] = values[i] as number;
    k += 1;
  }
  starts[k] = at;
  return { data, starts };
}

/** At most enough clusters for MAX_RESAMPLED_VALUES values, drawn at random (with replacement, as before). */
function capClusters(grouped: Grouped, random: () => number): Grouped {
  const count = grouped.starts.length - 1;
  const total = grouped.data.length;
  if (total <= MAX_RESAMPLED_VALUES) return grouped;
  const keep = Math.max(1, Math.round((MAX_RESAMPLED_VALUES * count) / total));
  const picked = Array.from({ length: keep }, () => Math.floor(random() * count));
  const size = picked.reduce((n, c) => n + (grouped.starts[c + 1] as number) - (grouped.starts[c] as number), 0);
  const data = new Float64Array(size);
  const starts = new Int32Array(keep + 1);
  let at = 0;
  picked.forEach((c, i) => {
    starts[i] = at;
    data.set(grouped.data.subarray(grouped.starts[c], grouped.starts[c + 1]), at);
    at += (grouped.starts[c + 1] as number) - (grouped.starts[c] as number);
  });
  starts[keep] = at;
  return { data, starts };
}

/** One resample: as many clusters as there are, drawn with replacement, their values sorted (in `scratch`). */
function resample({ data, starts }: Grouped, random: () => number, scratch: { buffer: Float64Array }): Float64Array {
  const count = starts.length - 1;
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    const c = Math.floor(random() * count);
    const from = starts[c] as number;
    const to = starts[c + 1] as number;
    // resampled sizes vary with the clusters drawn: one buffer, grown when a resample is larger
    if (at + to - from > scratch.buffer.length) {
      const grown = new Float64Array(Math.ceil((at + to - from) * 1.5));
      grown.set(scratch.buffer.subarray(0, at));
      scratch.buffer = grown;
    }
    for (let j = from; j < to; j += 1) scratch.buffer[at++] = data[j] as number;
  }
  return scratch.buffer.subarray(0, at).sort();
}

/**
 * Bootstrap 95% interval of quantile(candidate, q) - quantile(baseline, q): each side's clusters (whole
 * frames: all receivers' copies together) are resampled with replacement `iterations` times (500 by
 * default). Resampling single values would treat a frame seen by 50 receivers as 50 independent draws, and
 * give intervals several times too narrow. Frames of one run still share slow drift (one pause of the
 * machine delays a run of them), which is why scenarios can interleave variants in rounds.
 */
export function bootstrapQuantileDelta(
  baseline: ClusteredSamples,
  candidate: ClusteredSamples,
  q: number,
  iterations = 500,
  seed = 1,
): Interval {
  const delta = quantile(sortedCopy(candidate.values), q) - quantile(sortedCopy(baseline.values), q);
  const random = seededRandom(seed);
  const base = capClusters(groupByCluster(baseline), random);
  const cand = capClusters(groupByCluster(candidate), random);
  const scratchA = { buffer: new Float64Array(base.data.length) };
  const scratchB = { buffer: new Float64Array(cand.data.length) };
  const deltas = new Float64Array(iterations);
  for (let i = 0; i < iterations; i += 1) {
    const qa = quantile(resample(base, random, scratchA), q);
    const qb = quantile(resample(cand, random, scratchB), q);
    deltas[i] = qb - qa;
  }
  deltas.sort();
  return { delta, lo: quantile(deltas, 0.025), hi: quantile(deltas, 0.975) };
}
