/**
 * Speech onsets in received audio (`s2s_latency_ms`, docs/metrics.md): a receiver hears speech start when
 * the level of its decoded audio rises above a threshold after a stretch of silence. Pure and dependency-free:
 * synthetic subscribers (Node, decoded Opus) and browser pages (AudioData from the track) share it.
 */

/** level above which a 10-20 ms block counts as sound: -40 dBFS RMS (Opus silence decodes to ~ -90) */
export const ONSET_THRESHOLD_DBFS = -40;
/** silence that must come before an onset: longer than the pauses between words of one sentence */
export const ONSET_MIN_SILENCE_MS = 500;

export function rmsDbfs(pcm: Float32Array): number {
  if (pcm.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 1) {
    const v = pcm[i] as number;
    sum += v * v;
  }
  return 10 * Math.log10(sum / pcm.length);
}

export class OnsetDetector {
  /** when the last block above the threshold was heard; -Infinity until then, so the first sound is an onset */
  private lastSoundMs = -Infinity;

  constructor(
    private readonly onOnset: (ms: number, levelDbfs: number) => void,
    private readonly thresholdDbfs = ONSET_THRESHOLD_DBFS,
    private readonly minSilenceMs = ONSET_MIN_SILENCE_MS,
  ) {}

  /** One block of decoded audio that became available at `ms`. */
  push(pcm: Float32Array, ms: number): void {
    const level = rmsDbfs(pcm);
    if (level < this.thresholdDbfs) return;
    if (ms - this.lastSoundMs >= this.minSilenceMs) this.onOnset(ms, level);
    this.lastSoundMs = ms;
  }
}
