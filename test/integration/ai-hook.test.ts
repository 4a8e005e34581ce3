/**
 * The AI hook in the reference SFU (docs/architecture.md) with synthetic peers: per-stage times, the queue
 * policy under overload, the external worker over a Unix socket (and surviving its death), and the device
 * scheduler's spread and utilisation.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFrames, readSummary, runCli, startCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids, glassbenchChromiumPids, requireBinary } from '../fixtures/system.js';

const scenario = (ai: string, duration = '5s'): string => `name: ai-hook
duration: ${duration}
warmup: 1s
peers:
  - { role: publisher, count: 1, video: { fps: 30, bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
${ai}
`;

async function run(text: string): Promise<{ summary: RunSummary; out: string }> {
  const dir = await tempDir();
  const out = join(dir, 'out');
  const { summary } = await runScenario({ scenario: scenarioFromText(text), runId: 'ai', outDir: out });
  return { summary, out };
}

const trend = (s: RunSummary, name: string): TrendSummary => s.metrics[name] as TrendSummary;
const count = (s: RunSummary, name: string): number => (s.metrics[name] as { count: number } | undefined)?.count ?? 0;

function externalWorkerPids(): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return ps
    .split('\n')
    .filter((l) => l.includes('reference-server/ai/external-worker.js'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('AI hook (cloud, synthetic models)', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('inline fixedMs 20: median ai_inference_ms 20 +/- 1 and frame_latency_ms +20 +/- 3 over placement none', async () => {
    const base = await run(scenario('ai: { placement: none }'));
    const hooked = await run(
      scenario(
        'ai: { placement: cloud, mode: inline, stages: [ { name: inference, model: { synthetic: { fixedMs: 20 } } } ] }',
      ),
    );
    expect(base.summary.status).toBe('passed');
    expect(hooked.summary.status).toBe('passed');
    expect(count(base.summary, 'ai_inference_ms')).toBe(0);
    const inference = trend(hooked.summary, 'ai_inference_ms');
    expect(inference.count).toBeGreaterThan(100);
    expect(Math.abs(inference.p50 - 20)).toBeLessThanOrEqual(1);
    const shift = trend(hooked.summary, 'frame_latency_ms').p50 - trend(base.summary, 'frame_latency_ms').p50;
    expect(Math.abs(shift - 20)).toBeLessThanOrEqual(3);
    expect(count(hooked.summary, 'frames_dropped_ai')).toBe(0);
    expect(count(hooked.summary, 'frames_lost')).toBe(0);
    // every received frame carries its AI stage times
    const frames = readFrames(hooked.out).filter((f) => f['warmup'] !== true);
    expect(frames.length).toBeGreaterThan(200);
    for (const f of frames) {
      expect(f).toHaveProperty('aiQueueMs');
      expect(f).toHaveProperty('aiHookMs');
      expect((f['aiStagesMs'] as Record<string, number>)['inference']).toBeGreaterThan(19);
    }
    expect(hooked.summary.ai).toMatchObject({ placement: 'cloud', mode: 'inline', stages: ['inference'] });
  }, 60_000);

  it("tap mode forwards frames untouched and sends each frame's AI result to subscribers over a DataChannel", async () => {
    const { summary, out } = await run(
      scenario(
        'ai: { placement: cloud, mode: tap, stages: [ { name: inference, model: { synthetic: { fixedMs: 20 } } } ] }',
      ),
    );
    expect(summary.status).toBe('passed');
    // frames do not wait for the AI: sfu_ms stays at forwarding cost
    expect(trend(summary, 'sfu_ms').p50).toBeLessThan(5);
    expect(Math.abs(trend(summary, 'ai_inference_ms').p50 - 20)).toBeLessThanOrEqual(1);
    // every subscriber got every frame's result, about 20 ms after the frame itself
    const results = trend(summary, 'ai_result_latency_ms');
    expect(results.count).toBeGreaterThanOrEqual(0.99 * count(summary, 'frames_received'));
    const frames = readFrames(out).filter((f) => f['warmup'] !== true);
    const gaps = frames
      .filter((f) => typeof f['aiResultMs'] === 'number')
      .map((f) => (f['aiResultMs'] as number) - (f['receivedMs'] as number));
    expect(gaps.length).toBeGreaterThan(200);
    gaps.sort((a, b) => a - b);
    expect(gaps[gaps.length >> 1]).toBeGreaterThan(15);
    expect(gaps[gaps.length >> 1]).toBeLessThan(30);
  }, 60_000);

  it('tap mode: a browser subscriber gets the AI results over the DataChannel too', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const { summary } = await run(`name: tap-browser
duration: 4s
warmup: 1s
peers:
  - { role: publisher, count: 1, video: { source: encoded, bitrateKbps: 600 } }
  - { role: subscriber, kind: browser, count: 1 }
ai: { placement: cloud, mode: tap, stages: [ { name: inference, model: { synthetic: { fixedMs: 10 } } } ] }
`);
    expect(summary.status).toBe('passed');
    const received = count(summary, 'frames_received');
    expect(received).toBeGreaterThan(60);
    expect(trend(summary, 'ai_result_latency_ms').count).toBeGreaterThanOrEqual(0.95 * received);
    expect(glassbenchChromiumPids()).toEqual([]);
  }, 60_000);

  it('overload: a 50 ms model at 30 fps, one worker, queue max 2, drop-oldest drops frames, keeps the rest fresh, and says so', async () => {
    const dir = await tempDir();
    const path = await writeScenario(
      dir,
      'overload.yaml',
      scenario(
        'ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 50 } } } ], workers: 1, queue: { max: 2, policy: drop-oldest } }',
      ),
    );
    const out = join(dir, 'out');
    const result = await runCli(['run', path, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/AI hook overloaded: \d+ of \d+ frames dropped by the drop-oldest queue policy/);
    const summary = readSummary(out);
    // 30 frames/s offered, 20/s served: about a third dropped
    const dropped = count(summary, 'frames_dropped_ai');
    const sent = count(summary, 'frames_sent');
    expect(dropped / sent).toBeGreaterThan(0.2);
    expect(dropped / sent).toBeLessThan(0.5);
    // fresh: a forwarded frame waits for at most the one in service and two queued (3 x 50 ms)
    expect(trend(summary, 'ai_hook_ms').max).toBeLessThan(3 * 50 + 15);
    expect(trend(summary, 'frame_latency_ms').max).toBeLessThan(3 * 50 + 60);
    expect(count(summary, 'frames_lost')).toBe(0); // dropped by policy is not lost
    expect(count(summary, 'frames_over_budget')).toBe(count(summary, 'ai_inference_ms')); // 50 ms > the 30 ms budget
  }, 60_000);

  it('an external worker over the Unix socket gives the in-process numbers within 1 ms median', async () => {
    const stage = 'stages: [ { name: inference, model: { synthetic: { fixedMs: 20 } } } ]';
    const inProcess = await run(scenario(`ai: { placement: cloud, ${stage} }`));
    const external = await run(scenario(`ai: { placement: cloud, ${stage}, worker: { type: external } }`));
    expect(external.summary.status).toBe('passed');
    expect(external.summary.ai?.backend).toBe('external');
    const a = trend(inProcess.summary, 'ai_inference_ms');
    const b = trend(external.summary, 'ai_inference_ms');
    expect(b.count).toBeGreaterThan(100);
    expect(Math.abs(b.p50 - a.p50)).toBeLessThanOrEqual(1);
    // end to end, the external path pays its socket round trip (ai_transfer_ms) on top of the same model time
    const transferMs = trend(external.summary, 'ai_transfer_ms').p50;
    expect(
      Math.abs(trend(external.summary, 'frame_latency_ms').p50 - trend(inProcess.summary, 'frame_latency_ms').p50),
    ).toBeLessThanOrEqual(1.5 + transferMs);
    expect(externalWorkerPids()).toEqual([]);
  }, 60_000);

  it('survives the external worker being killed mid-run: the frames in flight are counted failed, the worker is restarted', async () => {
    const dir = await tempDir();
    const path = await writeScenario(
      dir,
      'kill-worker.yaml',
      scenario(
        'ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 60 } } } ], workers: 3, queue: { max: 4 }, worker: { type: external } }',
        '6s',
      ),
    );
    const out = join(dir, 'out');
    const cli = startCli(['run', path, '--out', out]);
    await cli.waitForProgress(2);
    const [worker] = externalWorkerPids();
    expect(worker).toBeDefined();
    process.kill(worker as number, 'SIGKILL');
    expect(await cli.exit).toBe(0);
    const summary = readSummary(out);
    expect(count(summary, 'frames_failed_ai')).toBeGreaterThanOrEqual(1);
    expect(summary.ai?.events.join('\n')).toMatch(/went away \(\d+ calls? in flight failed\)[\s\S]*restarted/);
    expect(cli.stderr()).toMatch(/SFU: external AI worker went away/);
    // recorded as a fault, with when and what it cost
    const fault = summary.faults?.find((f) => f.what.includes('external AI worker went away'));
    expect(fault?.atMs).toBeGreaterThan(2000);
    expect(fault?.cost).toContain('frames_failed_ai');
    // frames kept flowing through the restarted worker
    const frames = readFrames(out).filter((f) => f['warmup'] !== true && typeof f['aiHookMs'] === 'number');
    const lastMs = Math.max(...frames.map((f) => f['receivedMs'] as number));
    const killedAt = Math.min(...frames.map((f) => f['receivedMs'] as number)) + 2000;
    expect(lastMs - killedAt).toBeGreaterThan(2000);
    expect(externalWorkerPids()).toEqual([]);
  }, 60_000);

  it('spreads work over three simulated devices of different speeds by least outstanding work and reports their utilisation', async () => {
    const { summary } = await run(
      // 200 ms of model time: 200, 100 and 50 ms on the three devices, 35 frames/s together for 30 offered
      scenario(
        'ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 200 } } } ], workers: 8, devices: [ { name: slow, speed: 1 }, { name: mid, speed: 2 }, { name: fast, speed: 4 } ] }',
      ),
    );
    expect(summary.status).toBe('passed');
    const devices = summary.ai?.devices ?? {};
    expect(Object.keys(devices).sort()).toEqual(['fast', 'mid', 'slow']);
    // a call goes where it would finish first: the fast device takes most, the slow one only what the
    // others cannot (measured here: 100, 41 and 9 calls at 100%, 82% and 36% busy)
    expect(devices['fast']?.calls).toBeGreaterThan(devices['mid']?.calls ?? Infinity);
    expect(devices['mid']?.calls).toBeGreaterThan(devices['slow']?.calls ?? Infinity);
    expect(devices['slow']?.calls).toBeGreaterThan(0);
    for (const d of Object.values(devices)) {
      expect(d.utilisationPct).toBeGreaterThan(0);
      expect(d.utilisationPct).toBeLessThanOrEqual(100);
    }
    expect(devices['fast']?.utilisationPct).toBeGreaterThan(devices['slow']?.utilisationPct ?? Infinity);
    expect(trend(summary, 'ai_device_utilisation_pct').count).toBeGreaterThan(0);
    expect(count(summary, 'frames_dropped_ai')).toBe(0);
  }, 60_000);
  it('devices: gpus uses the GPUs nvidia-smi lists (each call names its GPU to the external worker), and where there are none says so', async () => {
    const text = scenario(
      'ai: { placement: cloud, stages: [ { name: inference, model: { synthetic: { fixedMs: 5 } } } ], workers: 2, devices: gpus, worker: { type: external } }',
      '3s',
    );
    const smi = spawnSync('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], { encoding: 'utf8' });
    const gpus = smi.status === 0 ? smi.stdout.trim().split('\n').filter(Boolean).length : 0;
    if (gpus === 0) {
      // this machine: the run ends before any peer starts, with exit 107 and what to do
      const dir = await tempDir();
      const result = await runCli(['run', await writeScenario(dir, 'gpus.yaml', text), '--out', join(dir, 'out')]);
      expect(result.code).toBe(107);
      expect(result.stderr + result.stdout).toMatch(
        /ai\.devices: gpus: nvidia-smi is not installed; this machine has no usable NVIDIA GPU \(use simulated devices instead\)/,
      );
      return;
    }
    const { summary } = await run(text);
    expect(summary.status).toBe('passed');
    const devices = summary.ai?.devices ?? {};
    expect(Object.keys(devices).length).toBe(gpus);
    for (const [name, d] of Object.entries(devices)) {
      expect(name).toMatch(/^gpu\d+$/);
      expect(d.gpuUtilisationPct).toBeGreaterThanOrEqual(0);
    }
    expect(Object.values(devices).reduce((n, d) => n + d.calls, 0)).toBeGreaterThan(0);
    expect(trend(summary, 'ai_inference_ms').p50).toBeGreaterThan(4);
  }, 60_000);
  it('real video path: browser VP8 -> decode -> blur -> encode in the SFU -> browser, g2g and every ai_* stage per frame', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    // 15 fps: decode, a 3x3 blur in JS and a libvpx encode take about 30-45 ms a frame on this 2-core
    // machine while two Chromium pages run beside them; the bench measures the stages at 30 fps
    const { summary, out } = await run(`name: real-video
duration: 5s
warmup: 2s
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 640, height: 360, fps: 15, bitrateKbps: 1000 } }
  - { role: subscriber, kind: browser, count: 1 }
ai:
  placement: cloud
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: { filter: blur } }
    - { name: encode, model: { vp8: { bitrateKbps: 1000 } } }
`);
    expect(summary.status).toBe('passed');
    const displayed = count(summary, 'frames_received');
    expect(displayed).toBeGreaterThan(50);
    // the marker strip is left out of the filter, so identity survives decode and re-encode
    expect(count(summary, 'identity_lost')).toBe(0);
    expect(count(summary, 'g2g_latency_ms') / displayed).toBeGreaterThanOrEqual(0.99);
    const frames = readFrames(out).filter((f) => f['warmup'] !== true);
    for (const f of frames) {
      // a frame the page's reader skipped for a newer one (discarded, within the 1% above) has no render time
      if (f['discarded'] !== true) expect(typeof f['g2gLatencyMs']).toBe('number');
      expect(typeof f['aiQueueMs']).toBe('number');
      expect(typeof f['aiHookMs']).toBe('number');
      const stages = f['aiStagesMs'] as Record<string, number>;
      for (const stage of ['decode', 'inference', 'encode']) expect(stages[stage]).toBeGreaterThan(0);
      // the hook's time is inside the SFU's
      expect(f['sfuMs'] as number).toBeGreaterThanOrEqual((f['aiHookMs'] as number) - 1);
    }
    for (const metric of ['ai_decode_ms', 'ai_inference_ms', 'ai_encode_ms', 'ai_queue_ms', 'ai_hook_ms'])
      expect(count(summary, metric)).toBeGreaterThanOrEqual(displayed);
    expect(glassbenchChromiumPids()).toEqual([]);
  }, 90_000);
});
