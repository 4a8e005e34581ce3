/**
 * The reference external AI worker against hostile calls: 2,000 in the suite (10,000 nightly:
 * GLASSBENCH_FUZZ_RUNS) seeded messages, well framed but with headers of wrong types, missing and unknown fields,
 * odd formats, sizes and filters, and payloads of the wrong length, on one connection; and now and then a
 * connection that breaks the framing itself. The worker answers every framed message once (a result, or
 * `ok: false` with what it expects), closes broken connections, and still runs a good call afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeMessage, i420Bytes, type Message, MessageReader } from '../../src/protocol/worker-protocol.js';
import { fuzzRuns, reportFuzz } from '../fixtures/fuzz.js';

const WORKER = resolve('dist/reference-server/ai/external-worker.js');

const weird = fc.oneof(
  fc.constantFrom(null, true, -1, 0, 1.5, 1e308, 'x', '', [], {}, 'i420', 'vp8', 'blur', 'edges', 'noise'),
  fc.jsonValue({ maxDepth: 1 }),
);
const CALL = fc
  .record(
    {
      id: fc.oneof(fc.nat({ max: 1e6 }), weird),
      f: fc.oneof(fc.constant('1:1'), weird),
      stage: fc.oneof(fc.constant('inference'), weird),
      format: fc.oneof(fc.constantFrom('vp8', 'i420', 'i420'), weird),
      width: fc.oneof(fc.integer({ min: -2, max: 33 }), weird),
      height: fc.oneof(fc.integer({ min: -2, max: 17 }), weird),
      model: fc.oneof(
        fc.record(
          { filter: fc.oneof(fc.constantFrom('blur', 'edges', 'noise', 'sharpen'), weird) },
          { requiredKeys: [] },
        ),
        fc.record({ ms: weird }),
        weird,
      ),
      modelMs: fc.oneof(fc.constantFrom(0, 0.1, 1), weird, fc.constantFrom(-5, 1e9, 60_000)),
      device: weird,
      gpu: weird,
    },
    { requiredKeys: [] },
  )
  .chain((header) => {
    const h = header as { width?: unknown; height?: unknown };
    const exact =
      Number.isInteger(h.width) &&
      Number.isInteger(h.height) &&
      (h.width as number) > 0 &&
      (h.height as number) > 0 &&
      (h.width as number) * (h.height as number) < 10_000
        ? i420Bytes(h.width as number, h.height as number)
        : 0;
    return fc
      .oneof(fc.constant(exact), fc.nat({ max: 3000 }))
      .map((bytes) => ({ header, payload: Buffer.alloc(bytes, 77) }));
  });

function answersOn(socket: Socket): { messages: Message<unknown>[]; closed: Promise<void> } {
  const reader = new MessageReader();
  const messages: Message<unknown>[] = [];
  socket.on('data', (chunk: Buffer) => messages.push(...reader.push(chunk)));
  return { messages, closed: new Promise((r) => socket.once('close', () => r())) };
}

function connected(path: string): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = connect(path, () => resolveSocket(socket));
    socket.once('error', reject);
  });
}

async function until(done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the reference external AI worker against hostile calls', () => {
  let worker: ChildProcess;
  let path = '';
  let stderr = '';
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'glassbench-worker-fuzz-')), 'w.sock');
    worker = spawn(process.execPath, [WORKER, path, '--max-batch', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((ready, fail) => {
      worker.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) ready();
      });
      worker.once('exit', (code) => fail(new Error(`the worker exited (code ${code}): ${stderr}`)));
    });
  });
  afterAll(async () => {
    if (worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
  });

  it('answers every framed hostile call once, closes broken framing, and still works', async () => {
    const runs = fuzzRuns(2000);
    const calls = fc.sample(CALL, { seed: 2212, numRuns: runs });
    const socket = await connected(path);
    const { messages } = answersOn(socket);
    for (const [i, { header, payload }] of calls.entries()) {
      socket.write(encodeMessage(header as object, payload));
      if (i % 100 === 99)
        await until(
          () => messages.length >= i + 1 - 50,
          `answers to catch up (worker: exit ${worker.exitCode}, ${stderr})`,
        );
    }
    await until(() => messages.length >= calls.length, `${calls.length} answers (got ${messages.length})`);
    const tally = { calls: calls.length, answered: messages.length, ok: 0, refused: 0, brokenConnections: 0 };
    for (const { header } of messages) {
      const h = header as { id?: unknown; ok?: unknown; error?: unknown };
      expect(typeof h.id).toBe('number');
      if (h.ok === true) tally.ok += 1;
      else {
        expect(h.ok).toBe(false);
        expect(typeof h.error).toBe('string');
        tally.refused += 1;
      }
    }
    // framing broken on other connections: the worker closes each, and carries on
    const broken = fc.sample(fc.uint8Array({ minLength: 6, maxLength: 200 }), { seed: 7, numRuns: 20 });
    for (const bytes of broken) {
      const bad = await connected(path);
      const { closed } = answersOn(bad);
      const head = Buffer.alloc(6);
      head.writeUInt32BE(0xffffffff, 0); // a length over the limit: never a message
      bad.write(Buffer.concat([head, Buffer.from(bytes)]));
      await closed;
      tally.brokenConnections += 1;
    }
    reportFuzz('external-worker calls (reference worker)', tally);
    expect(tally.answered).toBe(calls.length);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.ok).toBeGreaterThan(0);
    // still a working worker: a good picture call comes back processed, on the first connection
    const before = messages.length;
    const picture = Buffer.alloc(i420Bytes(8, 4), 100);
    const good = {
      id: 424242,
      f: '1:1',
      stage: 'inference',
      format: 'i420',
      width: 8,
      height: 4,
      model: { filter: 'blur' },
      modelMs: 0,
    };
    socket.write(encodeMessage(good, picture));
    await until(() => messages.length > before, 'the good call to be answered');
    expect(messages.at(-1)?.header).toMatchObject({ id: 424242, ok: true });
    expect(messages.at(-1)?.payload.length).toBe(picture.length);
    socket.destroy();
    expect(worker.exitCode).toBe(null);
    expect(stderr).toBe('');
  }, 120_000);
});
