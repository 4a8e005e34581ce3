/**
 * Picture quality at every kind of receiver (docs/outputs.md): the same source (a synthetic publisher's
 * live-encoded pattern, textured) at 150 and at 2000 kbps scores a median video_psnr_db at least 3 dB lower at
 * 150 kbps, at browser receivers (every frame) and at synthetic receivers that decode and score a sample; a
 * browser publisher's canvas pattern scores lower at 150 kbps too; a browser subscriber with quality.sampleEvery
 * scores exactly every Nth frame it reads; through the AI hook's real video path, a filter that adds noise scores
 * lower against its reference than one that blurs against the blurred reference.
 */
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { runScenario } from '../../src/orchestrator/runner.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { median, readFrames, tempDir } from '../fixtures/cli.js';
import { glassbenchChildPids, glassbenchChromiumPids, requireBinary } from '../fixtures/system.js';

async function run(text: string): Promise<{ summary: RunSummary; out: string }> {
  const dir = await tempDir();
  const out = join(dir, 'out');
  const { summary } = await runScenario({ scenario: scenarioFromText(text), runId: 'quality', outDir: out });
  return { summary, out };
}

/** Scored frames outside the warm-up, by `<publisher>/<receiver kind>`. */
function scoresBy(out: string, field: 'videoPsnrDb' | 'videoSsim'): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const f of readFrames(out)) {
    const value = f[field];
    if (f['warmup'] === true || typeof value !== 'number') continue;
    const key = `${String(f['publisher'])}/${String(f['peerKind'])}`;
    (by.get(key) ?? by.set(key, []).get(key))?.push(value);
  }
  return by;
}

describe('picture quality', () => {
  beforeAll(() => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
  });

  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
    expect(glassbenchChromiumPids()).toEqual([]);
  });

  it.each([
    // the encoded source's libvpx holds its bitrate: 3 dB is a wide margin (measured about 32 against 39 dB)
    ['the synthetic encoded source', 'count: 1, video: { source: encoded, texture: true, fps: 30', 3],
    // a browser publisher sends far below its 2000 kbps cap in a short run (measured: bitrate_kbps 340-450 in a
    // 6 s run, Chromium's bandwidth estimate still near its start), so its gap is smaller (measured 3-4 dB)
    ["a browser publisher's canvas", 'kind: browser, count: 1, video: { texture: true, fps: 30', 1.5],
  ] as const)(
    'median video_psnr_db is lower at 150 kbps than at 2000 for %s, at both receiver kinds',
    async (label, publisher, gapDb) => {
      const scenario = (kbps: number): string => `name: quality-bitrate
duration: 5s
warmup: 1s
peers:
  - { role: publisher, ${publisher}, bitrateKbps: ${kbps} } }
  - { role: subscriber, count: 1, quality: { sampleEvery: 1 } }
  - { role: subscriber, kind: browser, count: 1 }
`;
      const low = await run(scenario(150));
      const high = await run(scenario(2000));
      expect(low.summary.status).toBe('passed');
      expect(high.summary.status).toBe('passed');
      const lowScores = scoresBy(low.out, 'videoPsnrDb');
      const highScores = scoresBy(high.out, 'videoPsnrDb');
      const medians: Record<string, [number, number]> = {};
      for (const key of ['r1-pub1-1/synthetic', 'r1-pub1-1/browser']) {
        const at150 = lowScores.get(key) ?? [];
        const at2000 = highScores.get(key) ?? [];
        // about 120 frames in the 4 s measured; a page on a busy machine passes over some (frames_discarded_reader)
        expect(at150.length, key).toBeGreaterThan(40);
        expect(at2000.length, key).toBeGreaterThan(40);
        medians[key] = [median(at150), median(at2000)];
      }
      process.stdout.write(`median video_psnr_db [150 kbps, 2000 kbps], ${label}: ${JSON.stringify(medians)}\n`);
      for (const [key, [at150, at2000]] of Object.entries(medians))
        expect(at2000 - at150, key).toBeGreaterThanOrEqual(gapDb);
      for (const ssim of scoresBy(low.out, 'videoSsim').values())
        for (const s of ssim) expect(s >= 0 && s <= 1).toBe(true);
      // SSIM falls with bitrate too
      for (const key of Object.keys(medians)) {
        const ssim150 = median(scoresBy(low.out, 'videoSsim').get(key) ?? []);
        const ssim2000 = median(scoresBy(high.out, 'videoSsim').get(key) ?? []);
        process.stdout.write(`median video_ssim [150 kbps, 2000 kbps], ${label}, ${key}: ${ssim150}, ${ssim2000}\n`);
        expect(ssim150, key).toBeLessThan(ssim2000);
      }
    },
    120_000,
  );

  it('a browser subscriber with quality.sampleEvery 10 scores every 10th frame it reads; one without scores each', async () => {
    const { summary, out } = await run(`name: quality-sampled
duration: 4s
peers:
  - { role: publisher, count: 1, video: { source: encoded, fps: 30, bitrateKbps: 1000 } }
  - { role: subscriber, kind: browser, count: 1, quality: { sampleEvery: 10 } }
  - { role: subscriber, kind: browser, count: 1 }
`);
    expect(summary.status).toBe('passed');
    const frames = readFrames(out);
    for (const [subscriber, every] of [
      ['r1-sub2-1', 10],
      ['r1-sub3-1', 1],
    ] as const) {
      // the frames the page read a marker from, warm-up or not: the page counts them all
      const read = frames.filter((f) => f['subscriber'] === subscriber && f['identity'] === 'marker');
      const scored = read.filter((f) => typeof f['videoPsnrDb'] === 'number');
      expect(read.length, subscriber).toBeGreaterThan(60);
      // the first frame read is scored, then every Nth
      expect(scored.length, subscriber).toBe(Math.ceil(read.length / every));
    }
  }, 60_000);

  it("an AI filter that adds noise lowers the PSNR of the AI's output against its reference", async () => {
    const scenario = (filter: string): string => `name: quality-ai
duration: 5s
warmup: 1s
peers:
  - { role: publisher, count: 1, video: { source: encoded, fps: 30, bitrateKbps: 2000 } }
  - { role: subscriber, count: 1, quality: { sampleEvery: 1 } }
  - { role: subscriber, kind: browser, count: 1 }
ai:
  placement: cloud
  mode: inline
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: ${filter} } }
    - { name: encode, model: { vp8: { bitrateKbps: 2000 } } }
`;
    const blur = await run(scenario('blur'));
    const noise = await run(scenario('noise'));
    expect(blur.summary.status).toBe('passed');
    expect(noise.summary.status).toBe('passed');
    const blurScores = scoresBy(blur.out, 'videoPsnrDb');
    const noiseScores = scoresBy(noise.out, 'videoPsnrDb');
    const medians: Record<string, [number, number]> = {};
    for (const key of ['r1-pub1-1/synthetic', 'r1-pub1-1/browser']) {
      const blurred = blurScores.get(key) ?? [];
      const noisy = noiseScores.get(key) ?? [];
      expect(blurred.length, key).toBeGreaterThan(40);
      expect(noisy.length, key).toBeGreaterThan(40);
      medians[key] = [median(blurred), median(noisy)];
    }
    process.stdout.write(`median video_psnr_db of the AI output [blur, noise]: ${JSON.stringify(medians)}\n`);
    // the noise (+-24 levels, uniform) alone is about 25 dB; the blurred output matches its blurred reference
    for (const [key, [blurred, noisy]] of Object.entries(medians)) {
      expect(blurred - noisy, key).toBeGreaterThanOrEqual(6);
      expect(noisy, key).toBeLessThan(32);
      expect(median(scoresBy(noise.out, 'videoSsim').get(key) ?? []), key).toBeLessThan(
        median(scoresBy(blur.out, 'videoSsim').get(key) ?? []),
      );
    }
  }, 120_000);
});
