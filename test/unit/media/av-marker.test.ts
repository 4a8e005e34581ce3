/**
 * The A/V sync audio marker: bursts rendered at the marker frames' capture times come back out of a real Opus
 * encoder and decoder, and the detector finds each onset to within a few samples of where it was put (after the
 * codec's constant delay) and reads its id from the tone.
 */
import { describe, expect, it } from 'vitest';

import {
  AV_MARKER_EVERY_FRAMES,
  AV_MARKER_IDS,
  type DetectedMarker,
  markerBurst,
  MarkerDetector,
  markerIdOfFrame,
  renderMarkerTrack,
} from '../../../src/media/av-marker.js';
import { OPUS_FRAME_SAMPLES, OPUS_RATE, OpusDecoder, OpusEncoder } from '../../../src/media/opus.js';

const FPS = 30;
const SAMPLES_PER_MARKER = (AV_MARKER_EVERY_FRAMES * OPUS_RATE) / FPS;

describe('marker frames', () => {
  it('puts a marker on every 30th frame, its id counting markers modulo 8', () => {
    expect(markerIdOfFrame(0)).toBe(0);
    expect(markerIdOfFrame(1)).toBeUndefined();
    expect(markerIdOfFrame(29)).toBeUndefined();
    expect(markerIdOfFrame(30)).toBe(1);
    expect(markerIdOfFrame(30 * AV_MARKER_IDS)).toBe(0);
    expect(markerIdOfFrame(30 * 11)).toBe(3);
  });

  it('renders each burst at its frame time, the same samples whatever the blocks', () => {
    const whole = new Float32Array(3 * SAMPLES_PER_MARKER);
    renderMarkerTrack(whole, 0, FPS, OPUS_RATE);
    const pieces = new Float32Array(whole.length);
    for (let from = 0; from < whole.length; from += 700) {
      const block = new Float32Array(Math.min(700, whole.length - from));
      renderMarkerTrack(block, from, FPS, OPUS_RATE);
      pieces.set(block, from);
    }
    expect(pieces).toEqual(whole);
    const burst = markerBurst(1, OPUS_RATE);
    expect(whole.subarray(SAMPLES_PER_MARKER, SAMPLES_PER_MARKER + burst.length)).toEqual(burst);
    expect(whole[SAMPLES_PER_MARKER - 1]).toBe(0);
    expect(whole[SAMPLES_PER_MARKER + burst.length]).toBe(0);
  });

  it('finds onsets to the sample in clean PCM, in odd blocks, with their ids', () => {
    const track = new Float32Array(10 * SAMPLES_PER_MARKER);
    const offset = 123; // the track starts 123 samples after frame 0's capture
    renderMarkerTrack(track, offset, FPS, OPUS_RATE);
    const found: DetectedMarker[] = [];
    const detector = new MarkerDetector((m) => found.push(m));
    for (let from = 0; from < track.length; from += 441)
      detector.push(track.subarray(from, from + 441), ((from + offset) * 1000) / OPUS_RATE, OPUS_RATE);
    // marker 0 began before the track (no silence heard before it): the first onset is marker 1
    expect(found.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 0, 1]);
    for (const [i, m] of found.entries())
      expect(m.ms).toBeCloseTo(((i + 1) * SAMPLES_PER_MARKER * 1000) / OPUS_RATE, 6);
  });
});

describe('through Opus', () => {
  it('finds every onset within a few samples of the codec-delayed position and decodes its id', async () => {
    const encoder = new OpusEncoder();
    const decoder = new OpusDecoder();
    const found: DetectedMarker[] = [];
    const detector = new MarkerDetector((m) => found.push(m));
    const pcm = new Float32Array(OPUS_FRAME_SAMPLES);
    const markers = 10;
    try {
      for (let first = 0; first < markers * SAMPLES_PER_MARKER; first += OPUS_FRAME_SAMPLES) {
        renderMarkerTrack(pcm, first, FPS, OPUS_RATE);
        for (const packet of await encoder.encode(pcm)) {
          const decoded = await decoder.decode(packet);
          // each decoded packet is timed as the block it was encoded from
          if (decoded) detector.push(decoded, (first * 1000) / OPUS_RATE, OPUS_RATE);
        }
      }
    } finally {
      await encoder.close();
      await decoder.close();
    }
    // marker 0 starts with the stream, before the silence the detector waits for
    expect(found.map((m) => m.id)).toEqual(Array.from({ length: markers - 1 }, (_, i) => (i + 1) % AV_MARKER_IDS));
    const delays = found.map((m, i) => (m.ms * OPUS_RATE) / 1000 - (i + 1) * SAMPLES_PER_MARKER);
    // about 312 samples (Opus's 6.5 ms lookahead); around it, the onsets agree to a few samples (< 0.1 ms)
    expect(Math.abs((delays[0] as number) - 312)).toBeLessThanOrEqual(4);
    expect(Math.max(...delays) - Math.min(...delays)).toBeLessThanOrEqual(4);
  });
});
