/**
 * The SFU's side of the external-worker protocol against hostile answers. A fake worker stands in here (on a
 * Unix socket in a temporary folder): the reference worker never answers wrongly, and the point is what the SFU
 * does when a worker does. Each seeded call (1,000 in the suite, GLASSBENCH_FUZZ_RUNS nightly) gets an answer
 * with fields of wrong types, an id that is not the call's, `ok: false` with any error, a picture of the wrong
 * size, a second answer, no answer at all, or bytes that break the framing. Every call must settle as the answer
 * says (a result, or a rejection that says why; unanswered calls after the call timeout), a broken connection is
 * connected to again, and a good call works afterwards. Timers are faked, so the timeouts take no time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ExternalBackend } from '../../../reference-server/ai/backends.js';
import type { BufferedFrame } from '../../../reference-server/ai/frame-buffer.js';
import type { Picture, StageResult } from '../../../reference-server/ai/pipeline.js';
import { encodeMessage, i420Bytes, MessageReader } from '../../../src/protocol/worker-protocol.js';
import { fuzzRuns, reportFuzz } from '../../fixtures/fuzz.js';

const STAGE = { name: 'inference', model: { filter: 'blur' as const } };
const WIDTH = 16;
const HEIGHT = 8;
const weird = fc.oneof(
  fc.constantFrom(null, true, false, -1, 0, 1.5, 1e308, 'x', '', [], {}, 'ok'),
  fc.jsonValue({ maxDepth: 2 }),
);

/** a framed message whose header is the given text, whatever it is */
function rawMessage(headerText: string, payload = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(headerText, 'utf8');
  const head = Buffer.alloc(6);
  head.writeUInt32BE(2 + json.length + payload.length, 0);
  head.writeUInt16BE(json.length, 4);
  return Buffer.concat([head, json, payload]);
}

const ANSWER = fc.oneof(
  {
    weight: 16,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      id: fc.oneof(
        { weight: 6, arbitrary: fc.constant('match' as const) },
        { weight: 1, arbitrary: fc.constant('next' as const) },
        { weight: 1, arbitrary: weird },
      ),
      ok: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: weird }),
      fields: fc.record(
        {
          ms: fc.oneof(fc.double({ min: -5, max: 1e6, noNaN: true }), weird),
          waitMs: fc.oneof(fc.double({ min: -5, max: 1e6, noNaN: true }), weird),
          batch: fc.oneof(fc.integer({ min: -2, max: 64 }), weird),
          error: fc.oneof(weird, fc.string({ maxLength: 20 }), fc.constant('e'.repeat(5000))),
          extra: weird,
        },
        { requiredKeys: [] },
      ),
      payload: fc.oneof(
        { weight: 3, arbitrary: fc.constant('right' as const) },
        { weight: 1, arbitrary: fc.nat({ max: 400 }) },
      ),
      twice: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('silent' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('broken' as const),
      bytes: fc.oneof(
        fc.constant(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 2])), // over the size limit
        fc.constant(Buffer.from([0, 0, 0, 8, 0xff, 0xff, 1, 2, 3, 4, 5, 6])), // a header longer than its message
        fc.constantFrom('{nope', 'null', '[1,2]', '"x"', '42').map((t) => rawMessage(t)), // not a JSON object
      ),
    }),
  },
);
type Answer = typeof ANSWER extends fc.Arbitrary<infer T> ? T : never;

/** What the answer must make of the call: a result, or a rejection matching this. */
function expected(answer: Answer, format: 'vp8' | 'i420'): 'result' | RegExp {
  if (answer.kind === 'silent') return /no answer to call \d+ within 5000 ms/;
  if (answer.kind === 'broken') return /the external AI worker went away/;
  if (answer.id !== 'match') return /no answer to call \d+ within 5000 ms/;
  if (answer.ok !== true) return /^external worker: .{0,303}$/s;
  if (format === 'i420' && answer.payload !== 'right' && answer.payload !== i420Bytes(WIDTH, HEIGHT))
    return /answered \d+ bytes for a picture of 192/;
  return 'result';
}

describe('the SFU against hostile answers from an external worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassbench-answers-'));
  const socketPath = join(dir, 'worker.sock');
  let server: Server;
  let answer: Answer | undefined;
  let seen: ((id: number) => void) | undefined;
  let connected: (() => void) | undefined;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      connected?.();
      const reader = new MessageReader();
      socket.on('data', (chunk: Buffer) => {
        for (const { header } of reader.push(chunk)) {
          const call = header as { id: number; format: string };
          const a = answer ?? {
            kind: 'answer',
            id: 'match',
            ok: true,
            fields: { ms: 0 },
            payload: 'right',
            twice: false,
          };
          if (a.kind === 'broken') socket.write(a.bytes);
          else if (a.kind === 'answer') {
            const id = a.id === 'match' ? call.id : a.id === 'next' ? call.id + 1 : a.id;
            const bytes = a.payload === 'right' ? (call.format === 'i420' ? i420Bytes(WIDTH, HEIGHT) : 0) : a.payload;
            const message = encodeMessage({ ...a.fields, id, ok: a.ok }, Buffer.alloc(bytes, 7));
            socket.write(a.twice ? Buffer.concat([message, message]) : message);
          }
          seen?.(call.id);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    vi.useRealTimers();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('settles every call as its answer says, connects again after broken framing, and serves a good call after', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const events: string[] = [];
    const backend = new ExternalBackend(socketPath, (e) => events.push(e));
    await backend.start();
    const answers = fc.sample(fc.tuple(ANSWER, fc.constantFrom('vp8' as const, 'i420' as const)), {
      seed: 2207,
      numRuns: fuzzRuns(1000),
    });
    const counts = { results: 0, refused: 0, timedOut: 0, brokenConnections: 0 };
    for (const [i, [a, format]] of answers.entries()) {
      answer = a;
      const called = new Promise<number>((resolve) => (seen = resolve));
      const reconnected = a.kind === 'broken' ? new Promise<void>((resolve) => (connected = resolve)) : undefined;
      const frame: BufferedFrame = {
        timestamp: i,
        key: `1:${i}`,
        packets: [],
        keyframe: true,
        firstPacketMs: 0,
        readyMs: 0,
      };
      const picture: Picture | undefined =
        format === 'i420' ? { data: Buffer.alloc(i420Bytes(WIDTH, HEIGHT)), width: WIDTH, height: HEIGHT } : undefined;
      const outcome = backend.run(STAGE, frame, 1, picture).then(
        (result: StageResult) => result,
        (error: Error) => error,
      );
      await called;
      const want = expected(a, format);
      if (want instanceof RegExp && /no answer/.test(want.source)) await vi.advanceTimersByTimeAsync(5000);
      const got = await outcome;
      if (want === 'result') {
        expect(got, JSON.stringify(a)).not.toBeInstanceOf(Error);
        const result = got as StageResult;
        expect(result.device).toBe('external');
        expect(Number.isFinite(result.ms) && result.ms >= 0).toBe(true);
        if (format === 'i420') expect(result.picture?.length).toBe(i420Bytes(WIDTH, HEIGHT));
        counts.results += 1;
      } else {
        expect(got, JSON.stringify(a)).toBeInstanceOf(Error);
        expect((got as Error).message).toMatch(want);
        if (/no answer/.test(want.source)) counts.timedOut += 1;
        else if (a.kind === 'broken') counts.brokenConnections += 1;
        else counts.refused += 1;
      }
      if (reconnected) {
        await vi.advanceTimersByTimeAsync(60);
        await reconnected;
        await vi.advanceTimersByTimeAsync(0);
      }
    }
    reportFuzz('hostile answers to the SFU', { calls: answers.length, ...counts });
    expect(events.filter((e) => e.includes('went away'))).toHaveLength(counts.brokenConnections);
    // a good call, with the real timers: answered as it should be
    vi.useRealTimers();
    answer = undefined;
    const good = await backend.run(
      STAGE,
      { timestamp: 0, key: '1:x', packets: [], keyframe: true, firstPacketMs: 0, readyMs: 0 },
      1,
    );
    expect(good.device).toBe('external');
    await backend.close();
  }, 120_000);
});
