import { describe, expect, it } from 'vitest';

import {
  captureMsFromLow,
  decodeMarkerBits,
  encodeMarker,
  MARKER_COLUMNS,
  markerLayout,
  readMarker,
  readMarkerLuma,
} from '../../../src/media/marker.js';

/** Paints the marker into an RGBA strip the way the page does, with optional noise. */
function paint(bits: Uint8Array, width: number, noise = 0): Uint8ClampedArray {
  const { blockWidth, blockHeight, stripHeight } = markerLayout(width);
  const rgba = new Uint8ClampedArray(width * stripHeight * 4);
  for (let y = 0; y < stripHeight; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const col = Math.floor(x / blockWidth);
      const row = Math.floor(y / blockHeight);
      const bit = col < MARKER_COLUMNS ? bits[row * MARKER_COLUMNS + col] : 0;
      const v = (bit ? 255 : 0) + (Math.random() - 0.5) * 2 * noise;
      rgba.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return rgba;
}

describe('pixel marker', () => {
  const content = { publisherTag: 513, frameSeq: 0xabcdef, captureMs: 1_795_610_211_069.3 };

  it('round-trips identity and capture time through pixels', () => {
    const decoded = readMarker(paint(encodeMarker(content), 640), 640);
    expect(decoded).toEqual({
      publisherTag: 513,
      frameSeq: 0xabcdef,
      captureLowMs: Math.floor(content.captureMs) % 2 ** 32,
    });
    expect(captureMsFromLow(decoded?.captureLowMs ?? 0, content.captureMs + 40)).toBe(Math.floor(content.captureMs));
  });

  it('survives noise well below the decision threshold, at other widths too', () => {
    for (const width of [320, 640, 1280]) {
      expect(readMarker(paint(encodeMarker(content), width, 90), width)?.frameSeq).toBe(0xabcdef);
    }
  });

  it('rejects a marker with a flipped bit (checksum) instead of guessing', () => {
    const bits = encodeMarker(content);
    bits[20] = bits[20] ? 0 : 1;
    expect(decodeMarkerBits(bits)).toBeUndefined();
    expect(readMarker(new Uint8ClampedArray(640 * 32 * 4), 640)).toBeUndefined(); // an all-black strip is no marker
  });

  it("reads the same marker from a decoded frame's luma plane with row padding (stride > width)", () => {
    const width = 640;
    const stride = 704;
    const rgba = paint(encodeMarker(content), width, 60);
    const { stripHeight } = markerLayout(width);
    const luma = new Uint8Array(stride * stripHeight).fill(77); // padding bytes must be ignored
    for (let y = 0; y < stripHeight; y += 1)
      for (let x = 0; x < width; x += 1) luma[y * stride + x] = rgba[(y * width + x) * 4] as number;
    expect(readMarkerLuma(luma, stride, width)).toEqual(readMarker(rgba, width));
    expect(readMarkerLuma(luma, stride, width)?.frameSeq).toBe(0xabcdef);
  });

  it('rebuilds capture times across the 2^32 ms wrap', () => {
    const near = 2 ** 32 * 3 + 5;
    expect(captureMsFromLow(2 ** 32 - 10, near)).toBe(2 ** 32 * 3 - 10);
  });
});
