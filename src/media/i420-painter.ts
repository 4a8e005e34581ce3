/**
 * Paints synthetic video straight into an I420 (YUV 4:2:0) buffer: a luma sweep, a moving square, and the
 * pixel marker in the top strip (white Y=235, black Y=16, the limits of video range, so they decode to full
 * white and black). Used by the live VP8 encoder of synthetic publishers; no canvas needed in Node.
 */
import { encodeMarker, MARKER_COLUMNS, type MarkerContent, markerLayout } from './marker.js';

const Y_WHITE = 235;
const Y_BLACK = 16;

export function i420Size(width: number, height: number): number {
  return width * height + 2 * (Math.ceil(width / 2) * Math.ceil(height / 2));
}

export function paintI420(
  buffer: Uint8Array,
  width: number,
  height: number,
  frameSeq: number,
  marker: MarkerContent,
): void {
  const lumaBytes = width * height;
  const background = 40 + ((frameSeq * 2) % 160);
  buffer.fill(background, 0, lumaBytes);
  buffer.fill(128, lumaBytes); // neutral chroma
  const size = Math.round(height / 5);
  const x0 = Math.abs(((frameSeq * 7) % (2 * (width - size))) - (width - size));
  const y0 = Math.round(height / 2 + (Math.sin(frameSeq / 10) * height) / 4 - size / 2);
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + size); y += 1)
    buffer.fill(Y_WHITE, y * width + x0, y * width + x0 + size);
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
