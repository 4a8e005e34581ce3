/**
 * The test pattern of glassbench's own video sources, painted straight into an I420 (YUV 4:2:0) buffer: a luma
 * sweep, a moving square, and the pixel marker in the top strip (white Y=235, black Y=16, the limits of video
 * range, so they decode to full white and black). Used by the live VP8 encoder of synthetic publishers; no canvas
 * needed in Node. The picture below the strip is a function of the frame's sequence number alone (`paintLuma`),
 * so a receiver that read the marker regenerates what was sent (picture-quality.ts); with `video.texture` the
 * browser publisher draws the same luma as greys (publisher.ts; its own pattern otherwise: canvas-pattern.ts).
 */
import { encodeMarker, MARKER_COLUMNS, type MarkerContent, markerLayout } from './marker.js';

const Y_WHITE = 235;
const Y_BLACK = 16;

export function i420Size(width: number, height: number): number {
  return width * height + 2 * (Math.ceil(width / 2) * Math.ceil(height / 2));
}

/** The pattern's background luma and its square (side, top-left corner) at frame `frameSeq`. */
export function patternGeometry(
  width: number,
  height: number,
  frameSeq: number,
): { backgroundY: number; squareY: number; size: number; x0: number; y0: number } {
  const size = Math.round(height / 5);
  return {
    backgroundY: 40 + ((frameSeq * 2) % 160),
    squareY: Y_WHITE,
    size,
    x0: Math.abs(((frameSeq * 7) % (2 * (width - size))) - (width - size)),
    y0: Math.round(height / 2 + (Math.sin(frameSeq / 10) * height) / 4 - size / 2),
  };
}

/** side of the texture tile, px (a power of two) */
const TILE = 64;
/** half-width of the texture's luma deviation, levels (the sweep's 40..198 plus it stays in 16..235) */
const TEXTURE_AMPLITUDE = 24;
/** box-blur passes over the tile's noise: more is smoother detail, cheaper to code */
const BLUR_PASSES = 3;
let tile: Int8Array | undefined;

/**
 * The texture: a fixed tile of smooth pseudo-random detail (xorshift32 noise from a fixed seed, box-blurred
 * twice with wrap-around, scaled to +-TEXTURE_AMPLITUDE), the same wherever it is computed.
 */
function textureTile(): Int8Array {
  if (tile) return tile;
  let values = new Float64Array(TILE * TILE);
  let state = 0x9e3779b9;
  for (let i = 0; i < values.length; i += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    values[i] = (state % 1001) / 500 - 1;
  }
  for (let pass = 0; pass < BLUR_PASSES; pass += 1) {
    const next = new Float64Array(values.length);
    for (let y = 0; y < TILE; y += 1)
      for (let x = 0; x < TILE; x += 1) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy += 1)
          for (let dx = -1; dx <= 1; dx += 1)
            sum += values[((y + dy + TILE) & (TILE - 1)) * TILE + ((x + dx + TILE) & (TILE - 1))] as number;
        next[y * TILE + x] = sum / 9;
      }
    values = next;
  }
  let peak = 0;
  for (const v of values) peak = Math.max(peak, Math.abs(v));
  tile = new Int8Array(values.length);
  for (let i = 0; i < values.length; i += 1) tile[i] = Math.round(((values[i] as number) / peak) * TEXTURE_AMPLITUDE);
  return tile;
}

/**
 * Paints the pattern's luma (the whole plane, strip included, without the marker) into a packed Y plane.
 * `textured`: the background carries a fine pseudo-random texture that drifts (1 px right and down a frame), as
 * detail a codec must spend bits on, so picture quality falls with bitrate as on camera video; without it the
 * background is flat, which VP8 codes almost losslessly at any bitrate.
 */
export function paintLuma(luma: Uint8Array, width: number, height: number, frameSeq: number, textured = false): void {
  const { backgroundY, squareY, size, x0, y0 } = patternGeometry(width, height, frameSeq);
  if (textured) {
    const t = textureTile();
    const shift = frameSeq % TILE;
    for (let y = 0; y < height; y += 1) {
      const row = ((y + TILE - shift) & (TILE - 1)) * TILE;
      const d = y * width;
      for (let x = 0; x < width; x += 1)
        luma[d + x] = backgroundY + (t[row + ((x + TILE - shift) & (TILE - 1))] as number);
    }
  } else luma.fill(backgroundY, 0, width * height);
  paintSquare(luma, width, height, { size, x0, y0 }, squareY);
}

/** The pattern's moving square (patternGeometry) at luma `value`, into a packed Y plane. */
export function paintSquare(
  luma: Uint8Array,
  width: number,
  height: number,
  { size, x0, y0 }: { size: number; x0: number; y0: number },
  value: number,
): void {
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + size); y += 1)
    luma.fill(value, y * width + x0, y * width + x0 + size);
}

export function paintI420(
  buffer: Uint8Array,
  width: number,
  height: number,
  frameSeq: number,
  marker: MarkerContent,
  textured = false,
): void {
  const lumaBytes = width * height;
  paintLuma(buffer, width, height, frameSeq, textured);
  buffer.fill(128, lumaBytes); // neutral chroma
  const { blockWidth, blockHeight, stripHeight } = markerLayout(width);
  for (let y = 0; y < stripHeight; y += 1) buffer.fill(Y_BLACK, y * width, (y + 1) * width);
  const bits = encodeMarker(marker);
  for (let i = 0; i < bits.length; i += 1) {
    if (!bits[i]) continue;
    const bx = (i % MARKER_COLUMNS) * blockWidth;
    const by = Math.floor(i / MARKER_COLUMNS) * blockHeight;
    for (let y = by; y < by + blockHeight; y += 1) buffer.fill(Y_WHITE, y * width + bx, y * width + bx + blockWidth);
  }
}
