/**
 * The browser publisher's own pattern (src/browser/page/publisher.ts without `video.texture`): a slow colour
 * sweep, `hsl((3 n) mod 360, 40%, 45%)` at frame n, under a #f0f0f0 square that moves as the synthetic source's
 * does (i420-painter.ts `patternGeometry`). Its luma, as a receiver regenerates it: the CSS colour's RGB (CSS
 * Color 4's HSL conversion, rounded to 8 bits as the canvas stores it) through BT.709 weights at full range,
 * which is how Chromium converts a canvas frame (measured with Chromium 156: a grey v arrives as Y = v, black as
 * 0, and the sweep's hues match BT.709's luma, not BT.601's, within the codec's error, though the frame is
 * tagged BT.601). Pure, shared by the page bundle and Node.
 */
import type { PatternKind } from '../protocol/video.js';
import { paintLuma, paintSquare, patternGeometry } from './i420-painter.js';

/** The fill style of the sweep at frame `frameSeq` (what the publisher draws). */
export function sweepStyle(frameSeq: number): string {
  return `hsl(${(frameSeq * 3) % 360}, 40%, 45%)`;
}

/** The square's fill style, and its luma (240, a grey). */
export const SQUARE_STYLE = '#f0f0f0';
const SQUARE_Y = 240;

/** CSS Color 4: hsl(h, s, l) to 8-bit sRGB. */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => {
    const k = (n + h / 30) % 12;
    return Math.round((l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))) * 255);
  };
  return [f(0), f(8), f(4)];
}

/** BT.709 luma of an RGB colour at full range (what Chromium's conversion of a canvas frame gives). */
export function fullRangeLuma([r, g, b]: [number, number, number]): number {
  return Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
}

/** Paints the luma of the browser's pattern at frame `frameSeq` (the whole plane, without the marker). */
export function paintCanvasLuma(luma: Uint8Array, width: number, height: number, frameSeq: number): void {
  luma.fill(fullRangeLuma(hslToRgb((frameSeq * 3) % 360, 0.4, 0.45)), 0, width * height);
  paintSquare(luma, width, height, patternGeometry(width, height, frameSeq), SQUARE_Y);
}

/** The luma of pattern `pattern` at frame `frameSeq` below the marker strip: what a receiver compares with. */
export function paintPatternLuma(
  luma: Uint8Array,
  width: number,
  height: number,
  frameSeq: number,
  pattern: PatternKind,
): void {
  if (pattern === 'canvas') paintCanvasLuma(luma, width, height, frameSeq);
  else paintLuma(luma, width, height, frameSeq, pattern === 'textured');
}
