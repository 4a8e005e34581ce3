/**
 * The PyTorch example worker (examples/workers/torch_worker.py, CPU torch from Debian) behind the reference
 * SFU's real video path: a browser publisher's frames decoded, filtered by the worker, encoded and displayed by a
 * browser subscriber with every stage timed; what the worker's filter does, seen in the received pictures; and
 * its batches as the summary reports them, with and without the --max-batch limit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFrames, tempDir } from '../fixtures/cli.js';
import { glassbenchChildPids, glassbenchChromiumPids, requireBinary } from '../fixtures/system.js';
import { requireTorch, TORCH_PYTHON, TORCH_WORKER } from '../fixtures/torch.js';

const PYTHON = TORCH_PYTHON;
const WORKER = TORCH_WORKER;

const trend = (s: RunSummary, name: string): TrendSummary => s.metrics[name] as TrendSummary;
const count = (s: RunSummary, name: string): number => (s.metrics[name] as { count: number } | undefined)?.count ?? 0;

/** Starts the worker and resolves once it printed `ready SOCKET`. */
function startWorker(socket: string, flags: string[]): Promise<ChildProcess> {
  const child = spawn(PYTHON, [WORKER, socket, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the torch worker was not ready in 60 s: ${stderr}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(`ready ${socket}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the torch worker exited (${code}) before it was ready: ${stderr}`));
    });
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function run(text: string): Promise<{ summary: RunSummary; out: string }> {
  const out = join(await tempDir(), 'out');
  const { summary } = await runScenario({ scenario: scenarioFromText(text), runId: 'torch', outDir: out });
  return { summary, out };
}

const realVideo = (filter: string, socket: string, bitrateKbps: number): string => `ai:
  placement: cloud
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: ${filter} } }
    - { name: encode, model: { vp8: { bitrateKbps: ${bitrateKbps} } } }
  worker: { type: external, format: i420, socket: ${socket} }
`;

describe('the PyTorch example worker behind the real video path', () => {
  const workers: ChildProcess[] = [];
  beforeAll(() => requireTorch());
  afterEach(async () => {
    for (const w of workers.splice(0)) await stopWorker(w);
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('browser -> decode -> torch (CPU) -> encode -> browser: g2g and every ai_* stage per frame, 0 identity lost; blur and noise seen in the received pictures', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const socket = join(await tempDir(), 'torch.sock');
    workers.push(await startWorker(socket, ['--max-batch', '4']));
    const scenario = (filter: string): string => `name: torch-${filter}
duration: 5s
warmup: 2s
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 640, height: 360, fps: 15, bitrateKbps: 1000 } }
  - { role: subscriber, kind: browser, count: 1 }
${realVideo(filter, socket, 1000)}`;
    const blur = await run(scenario('blur'));
    const { summary, out } = blur;
    expect(summary.status).toBe('passed');
    expect(summary.ai?.format).toBe('i420');
    const displayed = count(summary, 'frames_received');
    expect(displayed).toBeGreaterThan(50);
    expect(count(summary, 'identity_lost')).toBe(0);
    expect(count(summary, 'frames_failed_ai')).toBe(0);
    expect(count(summary, 'g2g_latency_ms') / displayed).toBeGreaterThanOrEqual(0.99);
    const frames = readFrames(out).filter((f) => f['warmup'] !== true && f['kind'] !== 'speech');
    for (const f of frames) {
      // a frame the page's reader skipped for a newer one (discarded, within the 1% above) has no render time
      if (f['discarded'] !== true) expect(typeof f['g2gLatencyMs']).toBe('number');
      expect(typeof f['aiQueueMs']).toBe('number');
      expect(typeof f['aiHookMs']).toBe('number');
      const stages = f['aiStagesMs'] as Record<string, number>;
      for (const stage of ['decode', 'inference', 'transfer', 'encode']) expect(stages[stage]).toBeGreaterThan(0);
      expect(f['aiBatchSize']).toBeGreaterThanOrEqual(1);
    }
    for (const metric of [
      'ai_decode_ms',
      'ai_inference_ms',
      'ai_transfer_ms',
      'ai_encode_ms',
      'ai_queue_ms',
      'ai_hook_ms',
    ])
      expect(count(summary, metric)).toBeGreaterThanOrEqual(displayed);
    // the receiver scores every frame against the pattern through the same 3x3 box blur: torch's blur is
    // luma-filter.ts's to the bit, so only VP8 stands between them
    const blurPsnr = trend(summary, 'video_psnr_db');
    expect(blurPsnr.count).toBe(displayed);
    expect(blurPsnr.p50).toBeGreaterThan(30);
    // noise of +-24 levels from the worker, scored against the plain pattern: the picture is measurably worse
    const noise = await run(scenario('noise'));
    expect(noise.summary.status).toBe('passed');
    expect(count(noise.summary, 'identity_lost')).toBe(0);
    expect(trend(noise.summary, 'video_psnr_db').p50).toBeLessThan(blurPsnr.p50 - 3);
    const p50 = (name: string): string => trend(summary, name).p50.toFixed(1);
    process.stderr.write(
      `torch worker (CPU), 640x360 15 fps: g2g ${p50('g2g_latency_ms')}, decode ${p50('ai_decode_ms')}, inference ${p50('ai_inference_ms')}, transfer ${p50('ai_transfer_ms')}, encode ${p50('ai_encode_ms')}, hook ${p50('ai_hook_ms')} ms p50 over ${displayed} frames; video_psnr_db p50 blur ${blurPsnr.p50.toFixed(1)}, noise ${trend(noise.summary, 'video_psnr_db').p50.toFixed(1)}\n`,
    );
    expect(glassbenchChromiumPids()).toEqual([]);
  }, 180_000);

  it('batches calls that arrive together: 4 tracks, --max-batch 4 runs them as one batch, --max-batch 2 in two, and the summary says so', async () => {
    const dir = await tempDir();
    const scenario = (socket: string): string => `name: torch-batches
duration: 5s
warmup: 2s
peers:
  - { role: publisher, count: 4, video: { width: 320, height: 180, fps: 10, bitrateKbps: 400, source: encoded } }
  - { role: subscriber, count: 1 }
${realVideo('blur', socket, 400)}`;
    // a call waits up to 150 ms for others (longer than the 100 ms between a track's frames), so the four
    // tracks' calls meet in one batch, as far as the limit lets them
    const four = join(dir, 'four.sock');
    workers.push(await startWorker(four, ['--max-batch', '4', '--batch-wait-ms', '150']));
    const together = (await run(scenario(four))).summary;
    expect(together.status).toBe('passed');
    expect(trend(together, 'ai_batch_size').p50).toBeCloseTo(4, 1);
    expect(trend(together, 'ai_batch_size').max).toBeCloseTo(4, 1);
    expect(together.ai?.batches?.maxSize).toBeCloseTo(4, 1);
    expect(together.ai?.batches?.waitP50Ms).toBeGreaterThanOrEqual(0);
    const two = join(dir, 'two.sock');
    workers.push(await startWorker(two, ['--max-batch', '2', '--batch-wait-ms', '150']));
    const limited = (await run(scenario(two))).summary;
    expect(limited.status).toBe('passed');
    expect(trend(limited, 'ai_batch_size').max).toBeCloseTo(2, 1);
    expect(trend(limited, 'ai_batch_size').p50).toBeCloseTo(2, 1);
    expect(limited.ai?.batches?.maxSize).toBeCloseTo(2, 1);
    const line = (s: RunSummary): string =>
      `batch p50 ${trend(s, 'ai_batch_size').p50.toFixed(1)} max ${trend(s, 'ai_batch_size').max.toFixed(1)}, wait p50 ${trend(s, 'ai_batch_wait_ms').p50.toFixed(1)} ms, inference p50 ${trend(s, 'ai_inference_ms').p50.toFixed(1)} ms, ${count(s, 'frames_dropped_ai')} dropped`;
    process.stderr.write(
      `torch batches, 4 tracks 320x180: --max-batch 4: ${line(together)}; --max-batch 2: ${line(limited)}\n`,
    );
  }, 120_000);
});
