import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { InfluxSink } from '../../../src/sinks/influx-sink.js';

describe('InfluxSink frame timestamps', () => {
  let sink: InfluxSink | undefined;
  afterEach(async () => {
    await sink?.close(); // nothing listens on 127.0.0.1:9: the points go to the pending file
  });

  it('keeps timestamps unique and forgets the ones too old to collide', () => {
    const pending = join(mkdtempSync(join(tmpdir(), 'glassbench-sink-')), 'influx-pending.lp');
    sink = new InfluxSink({
      connection: { url: 'http://127.0.0.1:9', db: 'x' },
      tags: { testid: 't', scenario: 's', placement: 'none' },
      pendingFile: pending,
    });
    const unique = (sink as unknown as { uniqueMicros(ms: number): number }).uniqueMicros.bind(sink);
    const internals = sink as unknown as { usedTimestamps: Set<number> };
    const first = Array.from({ length: 5000 }, () => unique(1000));
    expect(new Set(first).size).toBe(5000); // same ms, 5000 distinct microseconds
    expect(internals.usedTimestamps.size).toBe(5000);
    unique(1000 + 40_000); // 40 s later
    expect(internals.usedTimestamps.size).toBe(1);
  });
});
