import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  encodeMessage,
  i420Bytes,
  MAX_MESSAGE_BYTES,
  messageHead,
  MessageReader,
} from '../../../src/protocol/worker-protocol.js';
import { fuzzRuns, reportFuzz } from '../../fixtures/fuzz.js';

describe('external worker protocol', () => {
  it('splits a byte stream into messages whatever the chunk boundaries', () => {
    const bytes = Buffer.concat([
      encodeMessage({ id: 1, ok: true, ms: 2 }),
      encodeMessage({ id: 2, stage: 'inference' }, Buffer.from('payload')),
      encodeMessage({ id: 3 }),
    ]);
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const reader = new MessageReader();
      const messages = [];
      for (let i = 0; i < bytes.length; i += size) messages.push(...reader.push(bytes.subarray(i, i + size)));
      expect(messages.map((m) => (m.header as { id: number }).id)).toEqual([1, 2, 3]);
      expect(messages[1]?.payload.toString()).toBe('payload');
      expect(messages[0]?.payload.length).toBe(0);
    }
  });

  it('rejects lengths over the limit, header lengths that do not fit and headers that are not JSON objects', () => {
    const oversized = Buffer.alloc(6);
    oversized.writeUInt32BE(MAX_MESSAGE_BYTES + 1, 0);
    expect(() => new MessageReader().push(oversized)).toThrow(/over the/);
    const badHeader = Buffer.alloc(6);
    badHeader.writeUInt32BE(4, 0);
    badHeader.writeUInt16BE(10, 4);
    expect(() => new MessageReader().push(badHeader)).toThrow(/does not fit/);
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 5, 0, 3]), Buffer.from('{x}')]);
    expect(() => new MessageReader().push(notJson)).toThrow(/not JSON/);
    const array = Buffer.concat([Buffer.from([0, 0, 0, 4, 0, 2]), Buffer.from('[]')]);
    expect(() => new MessageReader().push(array)).toThrow(/not a JSON object/);
  });

  it('gathers a picture from any chunks into one buffer the caller gives, copied once; the head goes out on its own', () => {
    const picture = Buffer.alloc(i420Bytes(641, 361), 7); // odd sizes: chroma rounded up
    expect(picture.length).toBe(641 * 361 + 2 * 321 * 181);
    const header = { id: 9, ok: true, ms: 1 };
    const bytes = Buffer.concat([
      messageHead(header, picture.length),
      picture,
      encodeMessage({ id: 10, ok: true, ms: 1 }),
    ]);
    const tail = encodeMessage({ id: 10, ok: true, ms: 1 }).length;
    expect(bytes.subarray(0, bytes.length - tail).equals(encodeMessage(header, picture))).toBe(true);
    const given: Buffer[] = [];
    const reader = new MessageReader((n) => {
      const b = Buffer.from(new ArrayBuffer(n));
      given.push(b);
      return b;
    });
    const messages = [];
    for (let i = 0; i < bytes.length; i += 65536) messages.push(...reader.push(bytes.subarray(i, i + 65536)));
    expect(messages.map((m) => (m.header as { id: number }).id)).toEqual([9, 10]);
    // the picture's message only (the empty answer stays a view): its payload lies in the buffer given
    expect(given.length).toBe(1);
    expect(messages[0]?.payload.buffer).toBe(given[0]?.buffer);
    expect(messages[0]?.payload.equals(picture)).toBe(true);
  });
});

describe('external worker protocol, fuzzed', () => {
  it('splits 10,000 (GLASSBENCH_FUZZ_RUNS) seeded hostile byte streams into messages or refuses them, never anything else', () => {
    const tally = { streams: 0, messages: 0, refused: 0 };
    const valid = [
      encodeMessage({ id: 1, stage: 'inference', model: 'm', width: 4, height: 2 }, Buffer.alloc(i420Bytes(4, 2), 9)),
      encodeMessage({ id: 2, ok: true, ms: 1.5, batch: 2, waitMs: 0.1 }, Buffer.alloc(12, 1)),
      encodeMessage({ id: 3, ok: false, error: 'no' }),
    ];
    const stream = fc.oneof(
      // real messages with bytes flipped, cut or inserted, split into chunks anywhere
      fc
        .tuple(
          fc.array(fc.constantFrom(...valid), { minLength: 1, maxLength: 4 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
          fc.nat(),
        )
        .map(([messages, flips, cut]) => {
          const bytes = Buffer.from(Buffer.concat(messages));
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          return bytes.subarray(0, bytes.length - (cut % 8));
        }),
      // headers of any JSON, any declared lengths
      fc
        .tuple(fc.jsonValue({ maxDepth: 2 }), fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 16 - 1 }))
        .map(([json, length, headerLength]) => {
          const text = Buffer.from(JSON.stringify(json) ?? 'null');
          const head = Buffer.alloc(6);
          head.writeUInt32BE(length % 3 === 0 ? length : 2 + text.length, 0);
          head.writeUInt16BE(headerLength % 3 === 0 ? headerLength : text.length, 4);
          return Buffer.concat([head, text]);
        }),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(stream, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (bytes, cuts) => {
        tally.streams += 1;
        const reader = new MessageReader((n) => Buffer.alloc(n));
        let at = 0;
        let i = 0;
        try {
          while (at < bytes.length) {
            const size = cuts[i++ % cuts.length] as number;
            for (const message of reader.push(bytes.subarray(at, at + size))) {
              expect(
                typeof message.header === 'object' && message.header !== null && !Array.isArray(message.header),
              ).toBe(true);
              expect(Buffer.isBuffer(message.payload)).toBe(true);
              tally.messages += 1;
            }
            at += size;
          }
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message).toMatch(
            /over the .* limit|does not fit a message|not JSON|not a JSON object/,
          );
          tally.refused += 1;
        }
      }),
      { seed: 2212, numRuns: fuzzRuns(10_000) },
    );
    reportFuzz('external-worker protocol byte streams', tally);
    expect(tally.streams).toBe(fuzzRuns(10_000));
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.messages).toBeGreaterThan(0);
  });
});
