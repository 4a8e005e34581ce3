import { describe, expect, it } from 'vitest';

import { aiResultMessage, parseAiResult } from '../../../src/protocol/ai-channel.js';

describe('AI result messages (DataChannel, tap mode)', () => {
  it('round-trips the frame key', () => {
    const message = aiResultMessage({
      k: 'ai',
      f: '1:42',
      pub: 'P',
      readyMs: 1,
      outcome: 'done',
      hookMs: 12.3,
      stages: { inference: 12.1 },
    });
    expect(JSON.parse(message)).toEqual({ f: '1:42', outcome: 'done', hookMs: 12.3, stages: { inference: 12.1 } });
    expect(parseAiResult(message)).toBe('1:42');
    expect(parseAiResult(Buffer.from(message))).toBe('1:42');
  });

  it('ignores what is not a result: not JSON, no key, a key that is not a short string, an oversized message', () => {
    for (const data of [
      '{',
      'null',
      '[]',
      '{"f":1}',
      '{"f":""}',
      JSON.stringify({ f: 'x'.repeat(200) }),
      JSON.stringify({ f: '1:1', pad: 'x'.repeat(5000) }),
    ]) {
      expect(parseAiResult(data)).toBeUndefined();
    }
  });
});
