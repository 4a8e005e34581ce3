/**
 * Luma PSNR and SSIM below the marker strip (picture-quality.ts): identical pictures score the maximum, known
 * noise gives the PSNR its variance predicts, SSIM stays in [0, 1] and falls with noise and with blur, and the
 * one-pass scorer agrees with the two separate ones. The pattern regenerates from the frame number.
 */
import { describe, expect, it } from 'vitest';

import { fullRangeLuma, hslToRgb, paintPatternLuma } from '../../../src/media/canvas-pattern.js';
import { i420Size, paintI420, paintLuma } from '../../../src/media/i420-painter.js';
import { filterLuma, NOISE_AMPLITUDE, referenceFilter } from '../../../src/media/luma-filter.js';
import { markerLayout } from '../../../src/media/marker.js';
import { lumaPsnrDb, packedPlane, pictureQuality, PSNR_CAP_DB } from '../../../src/media/picture-quality.js';

const W = 640;
const H = 360;
const STRIP = markerLayout(W).stripHeight;

function pattern(seq: number): Uint8Array {
  const luma = new Uint8Array(W * H);
  paintLuma(luma, W, H, seq);
  return luma;
}

/** A deterministic stand-in for random numbers (a linear congruential generator in [0, 1)). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('picture quality', () => {
  it('identical pictures score PSNR_CAP_DB and SSIM 1', () => {
    const a = pattern(7);
    const q = pictureQuality(packedPlane(a, W), packedPlane(a.slice(), W), W, H, STRIP);
    expect(q).toEqual({ psnrDb: PSNR_CAP_DB, ssim: 1 });
  });

  it('differences inside the marker strip are not counted', () => {
    const a = pattern(7);
    const b = a.slice();
    b.fill(0, 0, W * STRIP);
    expect(pictureQuality(packedPlane(a, W), packedPlane(b, W), W, H, STRIP).psnrDb).toBe(PSNR_CAP_DB);
    b[STRIP * W] = 0;
    expect(pictureQuality(packedPlane(a, W), packedPlane(b, W), W, H, STRIP).psnrDb).toBeLessThan(PSNR_CAP_DB);
  });

  it('a constant error of 4 levels gives 10 log10(255^2 / 16) = 36.09 dB', () => {
    const a = pattern(3);
    const b = a.map((v) => v - 4);
    expect(lumaPsnrDb(packedPlane(b, W), packedPlane(a, W), W, H, STRIP)).toBeCloseTo(36.09, 2);
  });

  it('uniform noise of +-8 levels gives the PSNR of its variance ((17^2 - 1) / 12 = 24: 34.33 dB) within 0.1 dB', () => {
    const a = pattern(11);
    const random = lcg(1);
    const b = a.map((v) => v + Math.floor(random() * 17) - 8); // the pattern's luma is 40..235: never clipped
    const psnr = lumaPsnrDb(packedPlane(b, W), packedPlane(a, W), W, H, STRIP);
    expect(Math.abs(psnr - 10 * Math.log10((255 * 255) / 24))).toBeLessThan(0.1);
  });

  it('SSIM is in [0, 1] and lower with more noise, and lower with blur', () => {
    const a = pattern(20);
    const noisy = (amplitude: number): Uint8Array => {
      const random = lcg(amplitude);
      return a.map((v) => Math.max(0, Math.min(255, v + Math.round((random() * 2 - 1) * amplitude))));
    };
    const ssim = (b: Uint8Array): number => pictureQuality(packedPlane(b, W), packedPlane(a, W), W, H, STRIP).ssim;
    const light = ssim(noisy(4));
    const heavy = ssim(noisy(40));
    expect(light).toBeLessThan(1);
    expect(heavy).toBeLessThan(light);
    expect(heavy).toBeGreaterThanOrEqual(0);
    const blurred = new Uint8Array(W * H);
    filterLuma(blurred, a, 0, W, W, H, 'blur');
    expect(ssim(blurred)).toBeLessThan(1);
    expect(ssim(blurred)).toBeGreaterThan(0);
  });

  it("the one-pass scorer's PSNR is the plain one's, and its SSIM leaves out the windows that do not tile", () => {
    for (const [w, h] of [
      [W, H],
      [322, 183],
    ] as const) {
      const strip = markerLayout(w).stripHeight;
      const a = new Uint8Array(w * h);
      paintLuma(a, w, h, 5);
      const random = lcg(w);
      const b = a.map((v) => v + Math.floor(random() * 9) - 4);
      const q = pictureQuality(packedPlane(b, w), packedPlane(a, w), w, h, strip);
      expect(q.psnrDb).toBeCloseTo(lumaPsnrDb(packedPlane(b, w), packedPlane(a, w), w, h, strip), 9);
      // the same planes cut to whole 8x8 windows (stride kept): the SSIM must not change
      const tiledW = w - (w % 8);
      const tiledH = strip + (h - strip) - ((h - strip) % 8);
      const tiled = pictureQuality(packedPlane(b, w), packedPlane(a, w), tiledW, tiledH, strip);
      expect(q.ssim).toBeCloseTo(tiled.ssim, 9);
      expect(q.ssim).toBeLessThan(1);
    }
  });

  it("the SSIM is the mean of each 8x8 window's SSIM computed plainly, in doubles, to 1e-12", () => {
    const random = lcg(7);
    const a = pattern(11);
    const b = a.map((v) => Math.min(255, Math.max(0, v + Math.floor(random() * 61) - 30)));
    const [c1, c2] = [(0.01 * 255) ** 2, (0.03 * 255) ** 2];
    let total = 0;
    let windows = 0;
    for (let wy = STRIP; wy + 8 <= H; wy += 8)
      for (let wx = 0; wx + 8 <= W; wx += 8) {
        const p: number[] = [];
        const q: number[] = [];
        for (let y = wy; y < wy + 8; y += 1)
          for (let x = wx; x < wx + 8; x += 1) {
            p.push(b[y * W + x] as number);
            q.push(a[y * W + x] as number);
          }
        const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
        const [mp, mq] = [mean(p), mean(q)];
        const vp = mean(p.map((x) => (x - mp) ** 2));
        const vq = mean(q.map((x) => (x - mq) ** 2));
        const cov = mean(p.map((x, k) => (x - mp) * ((q[k] as number) - mq)));
        total += ((2 * mp * mq + c1) * (2 * cov + c2)) / ((mp * mp + mq * mq + c1) * (vp + vq + c2));
        windows += 1;
      }
    const q = pictureQuality(packedPlane(b, W), packedPlane(a, W), W, H, STRIP);
    expect(Math.abs(q.ssim - total / windows)).toBeLessThan(1e-12);
    expect(q.ssim).toBeLessThan(0.99);
  });

  it('reads a plane with a stride and an offset', () => {
    const a = pattern(9);
    const stride = W + 32;
    const padded = new Uint8Array(100 + stride * H);
    for (let y = 0; y < H; y += 1) padded.set(a.subarray(y * W, (y + 1) * W), 100 + y * stride);
    const q = pictureQuality({ data: padded, offset: 100, stride }, packedPlane(a, W), W, H, STRIP);
    expect(q).toEqual({ psnrDb: PSNR_CAP_DB, ssim: 1 });
  });
});

describe('the pattern and its reference', () => {
  it('regenerates from the frame number: the I420 frame below the strip is paintLuma of its number', () => {
    const frame = new Uint8Array(i420Size(W, H));
    paintI420(frame, W, H, 42, { publisherTag: 1, frameSeq: 42, captureMs: 123 });
    const luma = pattern(42);
    expect(Buffer.from(frame.subarray(STRIP * W, W * H)).equals(Buffer.from(luma.subarray(STRIP * W)))).toBe(true);
    expect(Buffer.from(pattern(43)).equals(Buffer.from(luma))).toBe(false);
  });

  it('the noise filter adds noise of its amplitude outside the strip; its reference is the unfiltered picture', () => {
    const a = pattern(30);
    const out = new Uint8Array(W * H);
    filterLuma(out, a, 0, W, W, H, 'noise', 30);
    expect(Buffer.from(out.subarray(0, (STRIP + 1) * W)).equals(Buffer.from(a.subarray(0, (STRIP + 1) * W)))).toBe(
      true,
    );
    let max = 0;
    for (let i = (STRIP + 1) * W; i < W * H; i += 1)
      max = Math.max(max, Math.abs((out[i] as number) - (a[i] as number)));
    expect(max).toBe(NOISE_AMPLITUDE);
    const psnr = lumaPsnrDb(packedPlane(out, W), packedPlane(a, W), W, H, STRIP);
    expect(psnr).toBeGreaterThan(25);
    expect(psnr).toBeLessThan(30);
    expect(referenceFilter('noise')).toBe('copy');
    expect(referenceFilter('blur')).toBe('blur');
  });
});

describe("the browser publisher's pattern", () => {
  it('converts its CSS colours as CSS Color 4 does and takes their BT.709 luma at full range', () => {
    expect(hslToRgb(0, 0.4, 0.45)).toEqual([161, 69, 69]);
    expect(hslToRgb(120, 0.4, 0.45)).toEqual([69, 161, 69]);
    expect(hslToRgb(300, 0.4, 0.45)).toEqual([161, 69, 161]);
    expect(fullRangeLuma([170, 170, 170])).toBe(170);
    expect(fullRangeLuma([69, 161, 69])).toBe(135);
  });

  it('regenerates the sweep and the square of the frame it names; each pattern kind paints its own', () => {
    const canvas = new Uint8Array(W * H);
    paintPatternLuma(canvas, W, H, 40, 'canvas');
    const flat = new Uint8Array(W * H);
    paintPatternLuma(flat, W, H, 40, 'flat');
    const textured = new Uint8Array(W * H);
    paintPatternLuma(textured, W, H, 40, 'textured');
    expect(canvas[0]).toBe(fullRangeLuma(hslToRgb(120, 0.4, 0.45)));
    expect(Buffer.from(flat).equals(Buffer.from(pattern(40)))).toBe(true);
    expect(Buffer.from(textured).equals(Buffer.from(flat))).toBe(false);
    // the square is where the synthetic source's is, in the browser's light grey
    const size = Math.round(H / 5);
    let square = 0;
    for (const v of canvas) if (v === 240) square += 1;
    expect(square).toBe(size * size);
  });
});
