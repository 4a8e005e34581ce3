/** Service-time models of synthetic stages. */
import type { SyntheticModel } from './ai.js';

/** z of the 99th percentile of the standard normal */
const Z99 = 2.3263478740408408;

/** Returns a sampler of model times, ms: fixed, or log-normal through the given median and 99th percentile. */
export function syntheticSampler(model: SyntheticModel, random: () => number = Math.random): () => number {
  if (model.fixedMs !== undefined) {
    const fixed = model.fixedMs;
    return () => fixed;
  }
  const p50 = model.p50Ms ?? 0;
  if (p50 <= 0) return () => 0;
  const mu = Math.log(p50);
  const sigma = model.p99Ms !== undefined && model.p99Ms > p50 ? (Math.log(model.p99Ms) - mu) / Z99 : 0;
  return () => {
    // Box-Muller: one standard normal from two uniforms
    const u = Math.max(Number.MIN_VALUE, random());
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    return Math.exp(mu + sigma * z);
  };
}
