/**
 * Edge placement, variants and the HTML report: scenarios/edge-vs-cloud.yaml (shortened) runs the same 15 ms
 * model in the sending browser and in the SFU side by side; report.html opened in Chromium draws every chart;
 * a failed run's report says which budget failed first; the real in-page model (face-api's face detector)
 * runs in a browser publisher and its per-frame times reach the summary.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runWithVariants } from '../../src/orchestrator/variants.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../../src/peers/browser/browser-host.js';
import { loadScenario, scenarioFromText } from '../../src/scenario/validate.js';
import { readFrames, runCli, tempDir } from '../fixtures/cli.js';
import { requireBinary } from '../fixtures/system.js';

/** Opens a report in Chromium: how many charts it drew, which of their canvases hold pixels, a screenshot. */
async function openReport(
  path: string,
  screenshot: string,
): Promise<{ charts: number; canvases: number; painted: number; text: string }> {
  // a profile named like the harness's, so the suite's leftover-process check covers this browser too
  const profile = await mkdtemp(join(tmpdir(), 'glassbench-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    userDataDir: profile,
    args: CHROMIUM_FLAGS,
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1300, height: 2000 });
    await page.goto(`file://${path}`);
    await page.waitForFunction(
      () => (window as unknown as { glassbenchCharts?: number }).glassbenchCharts !== undefined,
      { timeout: 15_000 },
    );
    const result = await page.evaluate(() => {
      const canvases = [...document.querySelectorAll('canvas')];
      // a drawn chart has non-transparent pixels (axes, lines, bars)
      const painted = canvases.filter((c) => {
        const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
        if (!data) return false;
        for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) return true;
        return false;
      }).length;
      return {
        charts: (window as unknown as { glassbenchCharts: number }).glassbenchCharts,
        canvases: canvases.length,
        painted,
        text: document.body.innerText,
      };
    });
    await page.screenshot({ path: screenshot, fullPage: true });
    return result;
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

describe('edge vs cloud, variants and report.html', () => {
  it('runs scenarios/edge-vs-cloud.yaml with both placements side by side (15 +/- 2 ms each) and a report whose every chart is drawn', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const scenario = await loadScenario(resolve('scenarios/edge-vs-cloud.yaml'));
    expect(scenario.variants?.map((v) => [v.name, v.ai.placement])).toEqual([
      ['edge', 'edge'],
      ['cloud', 'cloud'],
    ]);
    const dir = await tempDir();
    const outDir = join(dir, 'out');
    // shortened for the suite: one round of 4 s each
    const { summary, exitCode } = await runWithVariants({
      scenario: { ...scenario, durationMs: 4000, rounds: 1 },
      runId: 'evc',
      outDir,
    });
    expect(summary.status).toBe('passed');
    expect(exitCode).toBe(0);
    const variants = summary.variants ?? [];
    expect(variants.map((v) => v.name)).toEqual(['edge', 'cloud']);
    for (const v of variants) {
      const inference = v.metrics['ai_inference_ms'] as TrendSummary;
      expect(inference.count).toBeGreaterThan(50);
      expect(Math.abs(inference.p50 - 15)).toBeLessThanOrEqual(2);
      expect((v.metrics['g2g_latency_ms'] as TrendSummary).count).toBeGreaterThan(50);
    }
    // the variant tag is on every frame record of each round
    for (const v of variants) {
      const records = readFrames(v.rounds[0]?.dir ?? '');
      expect(records.length).toBeGreaterThan(50);
      expect(records.every((r) => r['variant'] === v.name)).toBe(true);
    }
    // compare takes a run with variants one variant at a time
    const withoutVariant = await runCli(['compare', outDir, outDir, '--out', join(dir, 'cmp')]);
    expect(withoutVariant.code).toBe(104);
    expect(withoutVariant.stderr).toMatch(/a run with variants \(edge, cloud\): name one with --variant/);
    const edgeItself = await runCli(['compare', outDir, outDir, '--variant', 'edge', '--out', join(dir, 'cmp')]);
    expect(edgeItself.code, edgeItself.stdout).toBe(0);
    expect(edgeItself.stdout).toMatch(/ai_inference_ms/);
    const report = join(outDir, 'report.html');
    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/); // self-contained
    const shot = join(dir, 'report.png');
    const seen = await openReport(report, shot);
    expect(seen.charts).toBeGreaterThanOrEqual(10);
    expect(seen.canvases).toBe(seen.charts);
    expect(seen.painted).toBe(seen.charts);
    expect(seen.text).toMatch(/Variants side by side/);
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    process.stdout.write(`report.html: ${seen.charts} charts drawn, screenshot ${shot}\n`);
  }, 180_000);

  it('the report of a failed run shows which budget failed first', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const dir = await tempDir();
    const outDir = join(dir, 'out');
    const { summary } = await runWithVariants({
      scenario: scenarioFromText(`name: failing
duration: 4s
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 1 }
thresholds:
  sfu_ms: ["p(95)<1000"]
  frame_latency_ms: ["p(95)<0.5"]
`),
      runId: 'failing',
      outDir,
    });
    expect(summary.status).toBe('failed');
    const seen = await openReport(join(outDir, 'report.html'), join(dir, 'failed.png'));
    expect(seen.text).toMatch(/First budget to fail: frame_latency_ms p\(95\)<0\.5, after \d+ s/);
    expect(seen.painted).toBe(seen.charts);
  }, 60_000);

  it('runs a real model in the browser publisher (face-api face detector) and its per-frame times reach the summary', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const dir = await tempDir();
    const { summary } = await runWithVariants({
      scenario: scenarioFromText(`name: edge-face
duration: 5s
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 } }
  - { role: subscriber, kind: synthetic, count: 1 }
ai: { placement: edge, stages: [ { name: inference, model: { detector: face } } ] }
`),
      runId: 'edge-face',
      outDir: join(dir, 'out'),
    });
    expect(summary.status).toBe('passed');
    const inference = summary.metrics['ai_inference_ms'] as TrendSummary;
    expect(inference.count).toBeGreaterThanOrEqual(3);
    // a real network on the CPU takes real time, unlike a pass-through
    expect(inference.p50).toBeGreaterThan(5);
    expect((summary.metrics['frames_failed_ai'] as { count: number }).count).toBe(0);
    expect((summary.metrics['frame_latency_ms'] as TrendSummary).count).toBeGreaterThanOrEqual(inference.count - 2);
    process.stdout.write(
      `face detector in the page: ai_inference_ms p50 ${inference.p50.toFixed(1)} ms over ${inference.count} frames\n`,
    );
  }, 90_000);
});
