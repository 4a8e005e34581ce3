/**
 * examples/workers/torch_worker.py, the PyTorch external worker, talked to directly over its socket: its blur and
 * edges are luma-filter.ts's to the byte, noise stays within its amplitude, waiting calls are batched up to
 * --max-batch, bad calls are refused with a reason and bad bytes close only their connection.
 * Runs on CPU torch (Debian's python3-torch); under CI a missing torch fails the tests.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { filterLuma, type LumaFilter, NOISE_AMPLITUDE } from '../../src/media/luma-filter.js';
import { markerLayout } from '../../src/media/marker.js';
import { encodeMessage, i420Bytes, type Message, MessageReader } from '../../src/protocol/worker-protocol.js';
import { requireTorch, TORCH_PYTHON, TORCH_WORKER } from '../fixtures/torch.js';

const PYTHON = TORCH_PYTHON;
const WORKER = TORCH_WORKER;

interface Answer {
  id: number;
  ok: boolean;
  ms?: number;
  batch?: number;
  waitMs?: number;
  error?: string;
}

interface Worker {
  proc: ChildProcess;
  socketPath: string;
  stdout: string[];
}

const started: Worker[] = [];
const clients: Socket[] = [];
const dirs: string[] = [];

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const { proc } of started.splice(0)) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited(proc);
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startWorker(...args: string[]): Promise<Worker> {
  requireTorch();
  const dir = mkdtempSync(join(tmpdir(), 'glassbench-torch-'));
  dirs.push(dir);
  const socketPath = join(dir, 'worker.sock');
  const proc = spawn(PYTHON, [WORKER, socketPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const worker: Worker = { proc, socketPath, stdout: [] };
  started.push(worker);
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let pending = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      worker.stdout.push(...lines);
      if (lines.includes(`ready ${socketPath}`)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${stderr}`)));
    setTimeout(() => reject(new Error(`worker not ready in 30 s: ${stderr}`)), 30_000).unref();
  });
  return worker;
}

interface Client {
  socket: Socket;
  /** the next `count` answers (in the order they come) */
  answers(count: number): Promise<Message<Answer>[]>;
  closed: Promise<void>;
}

async function connect(socketPath: string): Promise<Client> {
  const socket = createConnection(socketPath);
  clients.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const reader = new MessageReader();
  const received: Message<Answer>[] = [];
  let wake = (): void => {};
  socket.on('data', (chunk: Buffer) => {
    received.push(...(reader.push(chunk) as Message<Answer>[]));
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  return {
    socket,
    closed,
    async answers(count) {
      while (received.length < count) {
        const more = new Promise<void>((resolve) => (wake = resolve));
        const gone = closed.then(() => {
          throw new Error(`connection closed with ${received.length} of ${count} answers`);
        });
        await Promise.race([more, gone]);
      }
      return received.splice(0, count);
    },
  };
}

/** an I420 picture of random bytes */
function picture(width: number, height: number, seed: number): Buffer {
  const bytes = Buffer.alloc(i420Bytes(width, height));
  let state = seed >>> 0 || 1;
  for (let i = 0; i < bytes.length; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

function call(id: number, width: number, height: number, model: object, extra: object = {}): object {
  return { id, f: `frame-${id}`, stage: 'video', format: 'i420', width, height, model, modelMs: 0, ...extra };
}

describe('the PyTorch example worker', () => {
  for (const [width, height] of [
    [96, 64],
    [640, 360],
  ] as const) {
    it(`blur and edges equal luma-filter.ts byte for byte below the strip at ${width}x${height}`, async () => {
      const worker = await startWorker();
      const client = await connect(worker.socketPath);
      const first = (markerLayout(width).stripHeight + 1) * width;
      const lumaBytes = width * height;
      for (const [i, filter] of (['blur', 'edges'] as LumaFilter[]).entries()) {
        const input = picture(width, height, 7 + i);
        client.socket.write(encodeMessage(call(i + 1, width, height, { filter }), input));
        const [answer] = await client.answers(1);
        expect(answer?.header).toMatchObject({ id: i + 1, ok: true, batch: 1 });
        expect(typeof answer?.header.ms).toBe('number');
        const output = answer?.payload ?? Buffer.alloc(0);
        expect(output.length).toBe(input.length);
        const expected = new Uint8Array(lumaBytes);
        filterLuma(expected, input, 0, width, width, height, filter);
        const mismatches = [];
        for (let p = first; p < lumaBytes; p += 1) if (output[p] !== expected[p]) mismatches.push(p);
        expect(mismatches.length, `${filter}: first differing pixels ${mismatches.slice(0, 5).join(', ')}`).toBe(0);
        expect(output.subarray(lumaBytes).equals(input.subarray(lumaBytes)), `${filter}: chroma copied`).toBe(true);
      }
    });
  }

  it('noise changes luma by at most its amplitude, and visibly; other models run --default', async () => {
    const worker = await startWorker('--default', 'noise');
    const client = await connect(worker.socketPath);
    const [width, height] = [96, 64];
    const input = picture(width, height, 3);
    client.socket.write(encodeMessage(call(5, width, height, { synthetic: { fixedMs: 1 } }), input));
    const [answer] = await client.answers(1);
    expect(answer?.header.ok).toBe(true);
    const output = answer?.payload ?? Buffer.alloc(0);
    let maxDiff = 0;
    let sumDiff = 0;
    const first = (markerLayout(width).stripHeight + 1) * width;
    for (let p = first; p < width * height; p += 1) {
      const diff = Math.abs((output[p] ?? 0) - (input[p] ?? 0));
      maxDiff = Math.max(maxDiff, diff);
      sumDiff += diff;
    }
    expect(maxDiff).toBeLessThanOrEqual(NOISE_AMPLITUDE);
    expect(sumDiff / (width * height - first)).toBeGreaterThan(5);
    expect(output.subarray(width * height).equals(input.subarray(width * height))).toBe(true);
  });

  for (const [maxBatch, expectedBatch] of [
    [4, 4],
    [2, 2],
  ] as const) {
    it(`4 calls written at once with --max-batch ${maxBatch} run in batches of ${expectedBatch}`, async () => {
      const worker = await startWorker('--max-batch', String(maxBatch), '--batch-wait-ms', '200');
      const client = await connect(worker.socketPath);
      const messages = [1, 2, 3, 4].map((id) =>
        encodeMessage(call(id, 96, 64, { filter: 'blur' }), picture(96, 64, id)),
      );
      client.socket.write(Buffer.concat(messages));
      const answers = await client.answers(4);
      expect(answers.map((a) => a.header.id).sort()).toEqual([1, 2, 3, 4]);
      for (const { header } of answers) {
        expect(header).toMatchObject({ ok: true, batch: expectedBatch });
        expect(typeof header.ms).toBe('number');
        expect(header.waitMs).toBeGreaterThanOrEqual(0);
      }
      // equal answers batch by batch: one compute time per batch
      expect(new Set(answers.map((a) => a.header.ms)).size).toBe(4 / expectedBatch);
    });
  }

  it('refuses bad calls and vp8 with a reason and keeps answering', async () => {
    const worker = await startWorker();
    const client = await connect(worker.socketPath);
    const good = picture(96, 64, 1);
    client.socket.write(encodeMessage({ id: 1, stage: 'video', width: 96, height: 64, model: {} }, good));
    client.socket.write(encodeMessage(call(2, 96, 64, { filter: 'blur' }), good.subarray(1)));
    client.socket.write(encodeMessage(call(3, 0, 64, { filter: 'blur' }), good));
    client.socket.write(encodeMessage(call(4, 96, 64, { filter: 'blur' }, { format: 'vp8' }), Buffer.alloc(100)));
    const refused = await client.answers(4);
    for (const [i, { header }] of refused.entries()) {
      expect(header).toMatchObject({ id: i + 1, ok: false });
      expect(header.error).toMatch(/i420/);
    }
    expect(refused[3]?.header.error).toMatch(/^this worker takes format i420 \(decoded pictures\)/);
    client.socket.write(encodeMessage(call(5, 96, 64, { filter: 'edges' }), good));
    const [next] = await client.answers(1);
    expect(next?.header).toMatchObject({ id: 5, ok: true, batch: 1 });
    expect(next?.payload.length).toBe(good.length);
  });

  it('garbage bytes close only their connection; connections are served at once', async () => {
    const worker = await startWorker();
    const a = await connect(worker.socketPath);
    const b = await connect(worker.socketPath);
    const c = await connect(worker.socketPath);
    a.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 4, 1, 2, 3, 4]));
    await a.closed;
    const notAnObject = Buffer.from('[1,2]');
    const framed = Buffer.alloc(6);
    framed.writeUInt32BE(2 + notAnObject.length, 0);
    framed.writeUInt16BE(notAnObject.length, 4);
    b.socket.write(Buffer.concat([framed, notAnObject]));
    await b.closed;
    const input = picture(96, 64, 9);
    const d = await connect(worker.socketPath);
    c.socket.write(encodeMessage(call(1, 96, 64, { filter: 'blur' }), input));
    d.socket.write(encodeMessage(call(2, 96, 64, { filter: 'blur' }), input));
    const [[fromC], [fromD]] = await Promise.all([c.answers(1), d.answers(1)]);
    expect(fromC?.header).toMatchObject({ id: 1, ok: true });
    expect(fromD?.header).toMatchObject({ id: 2, ok: true });
    expect(fromC?.payload.equals(fromD?.payload ?? Buffer.alloc(0))).toBe(true);
  });

  it('prints ready SOCKET, and on SIGTERM exits 0 leaving no socket file and no process', async () => {
    const worker = await startWorker();
    expect(worker.stdout).toEqual([`ready ${worker.socketPath}`]);
    expect(existsSync(worker.socketPath)).toBe(true);
    const pid = worker.proc.pid ?? 0;
    worker.proc.kill('SIGTERM');
    expect(await exited(worker.proc)).toBe(0);
    expect(existsSync(worker.socketPath)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('exits 2 with a usage line on bad arguments', () => {
    const result = spawnSync(PYTHON, [WORKER, '/tmp/glassbench-torch-unused.sock', '--max-batch', '0'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^usage: /);
  });
});
