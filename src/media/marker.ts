/**
 * The pixel marker that carries a frame's identity through a real codec (docs/architecture.md): a strip at the
 * top of every frame, 2 rows x 40 blocks, each block black (0) or white (1). 80 bits: publisher tag (16),
 * frame sequence (24), capture time in ms modulo 2^32 (32), CRC-8 of the rest (8). Blocks are 16x16 px at
 * 640 px width, aligned with VP8's macroblocks, so they survive heavy quantisation; the receiver reads the
 * mean luma of each block's centre. Shared by the page bundle and Node: no DOM or Node APIs here.
 */
export const MARKER_COLUMNS = 40;
export const MARKER_ROWS = 2;
export const MARKER_BITS = MARKER_COLUMNS * MARKER_ROWS;

export interface MarkerContent {
  publisherTag: number;
  frameSeq: number;
  /** capture time, ms since the Unix epoch (only the low 32 bits of the integer ms travel) */
  captureMs: number;
}

export interface MarkerLayout {
  blockWidth: number;
  blockHeight: number;
  /** height of the reserved strip, px */
  stripHeight: number;
}

export function markerLayout(width: number): MarkerLayout {
  const blockWidth = Math.floor(width / MARKER_COLUMNS);
  const blockHeight = Math.max(8, Math.min(16, blockWidth));
  return { blockWidth, blockHeight, stripHeight: blockHeight * MARKER_ROWS };
}

export function crc8(bits: ArrayLike<number>, length: number): number {
  let crc = 0xff; // a non-zero start, so an all-black (or blank) strip is not a valid marker
  for (let i = 0; i < length; i += 8) {
    let byte = 0;
    for (let b = 0; b < 8; b += 1) byte = (byte << 1) | ((bits[i + b] ?? 0) & 1);
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

function putBits(bits: Uint8Array, offset: number, value: number, count: number): void {
  for (let i = 0; i < count; i += 1) bits[offset + i] = Math.floor(value / 2 ** (count - 1 - i)) % 2;
}

function getBits(bits: ArrayLike<number>, offset: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i += 1) value = value * 2 + ((bits[offset + i] ?? 0) & 1);
  return value;
}

export function encodeMarker(content: MarkerContent): Uint8Array {
  const bits = new Uint8Array(MARKER_BITS);
  putBits(bits, 0, content.publisherTag % 2 ** 16, 16);
  putBits(bits, 16, content.frameSeq % 2 ** 24, 24);
  putBits(bits, 40, Math.floor(content.captureMs) % 2 ** 32, 32);
  putBits(bits, 72, crc8(bits, 72), 8);
  return bits;
}

export interface DecodedMarker {
  publisherTag: number;
  frameSeq: number;
  /** capture time ms modulo 2^32 */
  captureLowMs: number;
}

/** Decodes bits; undefined when the checksum does not match (the frame's identity is lost). */
export function decodeMarkerBits(bits: ArrayLike<number>): DecodedMarker | undefined {
  if (getBits(bits, 72, 8) !== crc8(bits, 72)) return undefined;
  return { publisherTag: getBits(bits, 0, 16), frameSeq: getBits(bits, 16, 24), captureLowMs: getBits(bits, 40, 32) };
}

/**
 * Reads the marker from RGBA pixels of the strip (`width` x `stripHeight`, row-major): the mean luma of the
 * central half of each block, thresholded at mid-grey.
 */
export function readMarker(rgba: ArrayLike<number>, width: number): DecodedMarker | undefined {
  return readMarkerFrom(width, (x, y) => {
    const i = (y * width + x) * 4;
    return 0.299 * (rgba[i] ?? 0) + 0.587 * (rgba[i + 1] ?? 0) + 0.114 * (rgba[i + 2] ?? 0);
  });
}

/** Reads the marker from the luma (Y) plane of a decoded frame: `stride` bytes per row. */
export function readMarkerLuma(luma: ArrayLike<number>, stride: number, width: number): DecodedMarker | undefined {
  return readMarkerFrom(width, (x, y) => luma[y * stride + x] ?? 0);
}

/** Averages the inner half of every block (edges blur under compression) and thresholds it at mid-grey. */
function readMarkerFrom(width: number, lumaAt: (x: number, y: number) => number): DecodedMarker | undefined {
  const { blockWidth, blockHeight } = markerLayout(width);
  const bits = new Uint8Array(MARKER_BITS);
  const qx = Math.max(1, Math.floor(blockWidth / 4));
  const qy = Math.max(1, Math.floor(blockHeight / 4));
  for (let row = 0; row < MARKER_ROWS; row += 1) {
    for (let col = 0; col < MARKER_COLUMNS; col += 1) {
      let sum = 0;
      let n = 0;
      for (let y = row * blockHeight + qy; y < (row + 1) * blockHeight - qy; y += 1) {
        for (let x = col * blockWidth + qx; x < (col + 1) * blockWidth - qx; x += 1) {
          sum += lumaAt(x, y);
          n += 1;
        }
      }
      bits[row * MARKER_COLUMNS + col] = n > 0 && sum / n >= 128 ? 1 : 0;
    }
  }
  return decodeMarkerBits(bits);
}

/** Rebuilds a full capture time from its low 32 bits and a nearby wall-clock time (within 24 days). */
export function captureMsFromLow(captureLowMs: number, nearMs: number): number {
  const base = Math.floor(nearMs) - (Math.floor(nearMs) % 2 ** 32);
  let candidate = base + captureLowMs;
  if (candidate - nearMs > 2 ** 31) candidate -= 2 ** 32;
  else if (nearMs - candidate > 2 ** 31) candidate += 2 ** 32;
  return candidate;
}
