/**
 * The `sfu` block (scenario and variants): the reference SFU's calibration knobs and its worker processes,
 * defaults filled, and the keys that only the built-in reference SFU can honour.
 */
import { availableParallelism } from 'node:os';

import type { AiOptions } from '../protocol/ai.js';
import type { Problems } from './problems.js';
import type { RawSfu } from './schema.js';
import type { SfuTarget, Target } from './types.js';

/** subscribers a worker takes of one room before the room spreads to another worker (SfuOptions' default) */
export const DEFAULT_SUBSCRIBERS_PER_WORKER = 100;

/** keys of `sfu` only the reference SFU has, and what a person is told when the target is another SFU */
const REFERENCE_ONLY: { key: keyof RawSfu; what: string; external?: true }[] = [
  { key: 'addDelayMs', what: 'add delay' },
  { key: 'addAudioDelayMs', what: 'add audio delay' },
  { key: 'burnCpuMsPerFrame', what: 'burn CPU per frame' },
  // refused for an external target only (a Janus target accepts it, as it always has)
  { key: 'rewriteRtp', what: 'rewrite RTP', external: true },
  { key: 'workers', what: 'run worker processes' },
  { key: 'subscribersPerWorker', what: 'spread a room over workers' },
];

/**
 * The block's keys the target cannot honour, and `workers` > 1 beside a cloud AI hook; `at` is the problem list of
 * the scenario or of one variant (its paths under `variants[i]`).
 */
export function checkSfu(at: Problems, raw: RawSfu | undefined, target: Target, ai: AiOptions): void {
  if (raw === undefined) return;
  for (const { key, what, external } of REFERENCE_ONLY) {
    if (raw[key] === undefined) continue;
    if (external ? target.type === 'external' : target.type !== 'reference')
      at.add(['sfu', key], `only the reference SFU can ${what}; remove it or use target: reference`);
  }
  checkSfuWorkers(at, raw, ai);
}

/**
 * `workers` > 1 beside a cloud AI hook: the hook's scheduler is one pool of devices per process, so one SFU process
 * must own every call. `variant`: the variant whose own `ai` meets the scenario's `sfu` block.
 */
export function checkSfuWorkers(at: Problems, raw: RawSfu | undefined, ai: AiOptions, variant?: string): void {
  const workers = raw?.workers;
  if (typeof workers !== 'number' || workers <= 1 || ai.placement !== 'cloud') return;
  at.add(
    ['sfu', 'workers'],
    `must be 1 with a cloud AI hook${variant === undefined ? '' : ` (variant ${variant} has one)`}: the hook's scheduler is one pool of devices per process, so one SFU process must own every call; got ${workers}`,
  );
}

/**
 * The block with defaults filled (the schema checked the ranges): `workers` defaults to this machine's cores for
 * the built-in reference SFU, 1 with a cloud AI hook (see checkSfuWorkers) or for any other target (nothing is started).
 */
export function sfuTargetOf(raw: RawSfu, target: Target, ai: AiOptions): SfuTarget {
  const cores = Math.max(1, availableParallelism());
  const defaultWorkers = target.type === 'reference' && ai.placement !== 'cloud' ? cores : 1;
  return {
    addDelayMs: raw.addDelayMs ?? 0,
    ...(raw.addAudioDelayMs ? { addAudioDelayMs: raw.addAudioDelayMs } : {}),
    burnCpuMsPerFrame: raw.burnCpuMsPerFrame ?? 0,
    ...(raw.rewriteRtp === true ? { rewriteRtp: true as const } : {}),
    workers: raw.workers ?? defaultWorkers,
    subscribersPerWorker: raw.subscribersPerWorker ?? DEFAULT_SUBSCRIBERS_PER_WORKER,
  };
}
