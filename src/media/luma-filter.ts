/**
 * The real CPU filters of the AI hook's video path (reference-server/ai/video-worker.ts), on a luma plane, and
 * the reference a receiver scores the AI's output against (picture-quality.ts): the same filter applied to the
 * regenerated original, outside the pipeline. Rows of the marker strip (and the one below it, which a 3x3 filter
 * would read the strip into) and the frame's edge pixels are copied, so the frame's pixel identity survives.
 * Pure, shared by the page bundle, the runner and the SFU.
 *
 * `noise` stands for an AI that damages the picture: it adds pseudo-random noise (uniform, +-NOISE_AMPLITUDE
 * levels) where it should change nothing, so its reference is the unfiltered picture (`referenceFilter`).
 */
import type { LumaFilter } from '../protocol/ai.js';
import { markerLayout } from './marker.js';

export type { LumaFilter } from '../protocol/ai.js';

/** half-width of the `noise` filter's uniform noise, luma levels */
export const NOISE_AMPLITUDE = 24;

/** What a receiver compares the AI's output with: the picture the filter should have made. */
export function referenceFilter(filter: LumaFilter): LumaFilter {
  return filter === 'noise' ? 'copy' : filter;
}

/**
 * Filters luma rows of `src` (`srcStride` bytes per row from `srcOffset`) into packed `out` (`width` per row).
 * `seed` varies the noise from frame to frame.
 */
export function filterLuma(
  out: Uint8Array,
  src: ArrayLike<number>,
  srcOffset: number,
  srcStride: number,
  width: number,
  height: number,
  filter: LumaFilter,
  seed = 0,
): void {
  const { stripHeight } = markerLayout(width);
  let state = (seed * 2654435761 + 1) >>> 0;
  for (let row = 0; row < height; row += 1) {
    const s = srcOffset + row * srcStride;
    const d = row * width;
    if (filter === 'copy' || row < stripHeight + 1 || row >= height - 1) {
      if (src instanceof Uint8Array) out.set(src.subarray(s, s + width), d);
      else for (let x = 0; x < width; x += 1) out[d + x] = src[s + x] as number;
      continue;
    }
    out[d] = src[s] as number;
    out[d + width - 1] = src[s + width - 1] as number;
    for (let x = 1; x < width - 1; x += 1) {
      const a = s - srcStride + x;
      const b = s + x;
      const c = s + srcStride + x;
      if (filter === 'noise') {
        // xorshift32: cheap, and the same sequence wherever it runs
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        const n = (state % (2 * NOISE_AMPLITUDE + 1)) - NOISE_AMPLITUDE;
        out[d + x] = Math.max(0, Math.min(255, (src[b] as number) + n));
      } else if (filter === 'blur') {
        const sum =
          (src[a - 1] as number) +
          (src[a] as number) +
          (src[a + 1] as number) +
          (src[b - 1] as number) +
          (src[b] as number) +
          (src[b + 1] as number) +
          (src[c - 1] as number) +
          (src[c] as number) +
          (src[c + 1] as number);
        out[d + x] = (sum * 7282) >> 16; // / 9
      } else {
        const gx =
          (src[a + 1] as number) +
          2 * (src[b + 1] as number) +
          (src[c + 1] as number) -
          (src[a - 1] as number) -
          2 * (src[b - 1] as number) -
          (src[c - 1] as number);
        const gy =
          (src[c - 1] as number) +
          2 * (src[c] as number) +
          (src[c + 1] as number) -
          (src[a - 1] as number) -
          2 * (src[a] as number) -
          (src[a + 1] as number);
        out[d + x] = Math.min(255, (Math.abs(gx) + Math.abs(gy)) >> 1);
      }
    }
  }
}
