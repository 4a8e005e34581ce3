/**
 * Decoded pictures through an external worker (`ai.worker: { type: external, format: i420 }`): the SFU decodes
 * each frame, the worker gets the I420 picture and returns one, the SFU puts the marker strip back and encodes.
 * With the reference worker the SFU starts (a real filter), with the minimal TypeScript worker of
 * examples/workers (a worker of one's own at a socket), and through /metrics; one worker that answers a picture
 * of the wrong size is a stand-in written here, to inject a fault no real worker makes on purpose.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ReferenceServer } from '../../reference-server/server.js';
import type { TrendSummary } from '../../src/metrics/histogram.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import { encodeMessage, MessageReader } from '../../src/protocol/worker-protocol.js';
import type { RunSummary } from '../../src/report/summary.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFrames, tempDir } from '../fixtures/cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const trend = (s: RunSummary, name: string): TrendSummary => s.metrics[name] as TrendSummary;
const count = (s: RunSummary, name: string): number => (s.metrics[name] as { count: number } | undefined)?.count ?? 0;

const PEERS = `duration: 4s
warmup: 1s
peers:
  - { role: publisher, count: 1, video: { width: 320, height: 180, fps: 15, bitrateKbps: 500, source: encoded } }
  - { role: subscriber, count: 1, quality: { sampleEvery: 1 } }
`;

const aiBlock = (inference: string, worker: string): string => `ai:
  placement: cloud
  stages:
    - { name: decode, model: { vp8: {} } }
    - { name: inference, model: ${inference} }
    - { name: encode, model: { vp8: { bitrateKbps: 500 } } }
  worker: ${worker}
`;

async function run(text: string): Promise<{ summary: RunSummary; out: string }> {
  const out = join(await tempDir(), 'out');
  const { summary } = await runScenario({ scenario: scenarioFromText(text), runId: 'i420', outDir: out });
  return { summary, out };
}

/** Starts a worker process and resolves once it printed `ready SOCKET`. */
function startWorker(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('ready ')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
  });
}

describe('external worker, decoded pictures (format i420)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('the reference worker: every frame decoded, filtered in the worker and encoded, each stage on its own, the filter as the receiver expects', async () => {
    const { summary, out } = await run(
      `name: i420-reference\n${PEERS}${aiBlock('{ filter: edges }', '{ type: external }')}`,
    );
    expect(summary.status).toBe('passed');
    expect(summary.ai?.format).toBe('i420');
    const received = count(summary, 'frames_received');
    expect(received).toBeGreaterThan(30);
    expect(count(summary, 'identity_lost')).toBe(0);
    expect(count(summary, 'frames_failed_ai')).toBe(0);
    const frames = readFrames(out).filter((f) => f['warmup'] !== true && f['kind'] !== 'speech');
    expect(frames.length).toBe(received);
    for (const f of frames) {
      const stages = f['aiStagesMs'] as Record<string, number>;
      for (const stage of ['decode', 'inference', 'transfer', 'encode']) expect(stages[stage]).toBeGreaterThan(0);
      expect(f['aiBatchSize']).toBe(1); // one track, one frame at a time
      expect(typeof f['aiBatchWaitMs']).toBe('number');
    }
    // the receiver scores every frame against the pattern through the same Sobel filter: the worker ran it (an
    // unfiltered picture scores about 10 dB against it), and the marker strip it filtered too was put back
    expect(count(summary, 'video_psnr_db')).toBe(received);
    expect(trend(summary, 'video_psnr_db').p50).toBeGreaterThan(35);
    expect(summary.ai?.batches?.frames).toBe(count(summary, 'ai_batch_size'));
    expect(summary.ai?.batches?.maxSize).toBe(1);
  }, 60_000);

  it('a worker of its own at a socket (examples/workers/minimal-worker.ts): what it does reaches the subscriber, identity intact', async () => {
    const socket = join(await tempDir(), 'minimal.sock');
    const worker = await startWorker(process.execPath, ['dist/examples/workers/minimal-worker.js', socket]);
    // stopped, and waited for: the next check looks for leftover processes
    cleanups.push(async () => {
      if (worker.exitCode !== null || worker.signalCode !== null) return;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    });
    const { summary } = await run(
      `name: i420-minimal\n${PEERS}${aiBlock('{ synthetic: { fixedMs: 0 } }', `{ type: external, socket: ${socket} }`)}`,
    );
    expect(summary.status).toBe('passed');
    const received = count(summary, 'frames_received');
    expect(received).toBeGreaterThan(30);
    expect(count(summary, 'identity_lost')).toBe(0);
    // the worker halves luma everywhere, the marker strip too: every frame's marker still read from its pixels
    // (the SFU put the strip back), and the picture is far from the pattern (about 11 dB here; a copy scores 60+)
    expect(count(summary, 'video_psnr_db')).toBe(received);
    expect(trend(summary, 'video_psnr_db').p50).toBeLessThan(20);
  }, 60_000);

  it('counts a picture of the wrong size as a failed frame, with what was expected (a stand-in worker injects it)', async () => {
    const socket = join(await tempDir(), 'short.sock');
    // stand-in: answers every call ok with a picture 100 bytes short, which no real worker means to do
    const server: Server = createServer((conn) => {
      const reader = new MessageReader();
      conn.on('data', (chunk: Buffer) => {
        for (const { header, payload } of reader.push(chunk)) {
          const id = (header as { id: number }).id;
          conn.write(encodeMessage({ id, ok: true, ms: 0.1 }, payload.subarray(100)));
        }
      });
      conn.on('error', () => conn.destroy());
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { summary } = await run(
      `name: i420-short\n${PEERS}${aiBlock('{ filter: blur }', `{ type: external, socket: ${socket} }`)}`,
    );
    expect(count(summary, 'frames_failed_ai')).toBeGreaterThan(30);
    expect(count(summary, 'frames_received')).toBe(0);
    expect(summary.notes.join('\n')).toMatch(/answered 86300 bytes for a picture of 86400 \(planar I420/);
  }, 60_000);

  it("/metrics: the worker's batches (calls per batch, wait) as histograms", async () => {
    const ai = scenarioFromText(`name: m\n${PEERS}${aiBlock('{ filter: blur }', '{ type: external }')}`).ai;
    const server = new ReferenceServer({ ai, workers: 1 });
    cleanups.push(() => server.close());
    const base = `http://127.0.0.1:${await server.listen(0)}`;
    const out = join(await tempDir(), 'out');
    const scenario = scenarioFromText(`name: metrics
target: { whip: "${base}/whip/{room}", whep: "${base}/whep/{room}" }
${PEERS}`);
    const { summary } = await runScenario({ scenario, runId: 'metrics', outDir: out });
    expect(summary.status).toBe('passed');
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (name: string): number =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${name} `))
          ?.split(' ')[1] ?? NaN,
      );
    expect(value('glassbench_ai_batch_size_count')).toBeGreaterThan(30);
    // one track, one call at a time: every batch was of one
    expect(value('glassbench_ai_batch_size_sum')).toBe(value('glassbench_ai_batch_size_count'));
    expect(value('glassbench_ai_batch_wait_seconds_count')).toBe(value('glassbench_ai_batch_size_count'));
  }, 60_000);
});
