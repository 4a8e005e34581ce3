import { describe, expect, it } from 'vitest';

import {
  encodeMessage,
  i420Bytes,
  MAX_MESSAGE_BYTES,
  messageHead,
  MessageReader,
} from '../../../src/protocol/worker-protocol.js';

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
