import { describe, expect, it } from 'vitest';

import { shardLoss, shardLossMessage } from '../../../src/report/shard-loss.js';

describe('shardLoss', () => {
  it('names a shard with frame points and no summary, and a shard of i/n that wrote nothing', () => {
    const summaryRows = [{ shard: '1/3', metric: 'frames_received' }];
    const records = [{ shard: '1/3' }, { shard: '3/3' }, { shard: '3/3' }];
    const loss = shardLoss(summaryRows, records);
    expect(loss).toEqual({ seen: ['1/3', '3/3'], incomplete: ['3/3'], missing: ['2/3'] });
    expect(shardLossMessage(loss, (s) => records.filter((r) => r.shard === s).length)).toBe(
      'partial run: shard 3/3 (2 frame points) wrote no summary: it ended before the run did; its frames are counted in the latencies and in frames_received, its other counters (frames_sent, frames_lost, ...) are unknown; shard 2/3 wrote nothing to InfluxDB (never started, or its points were never pushed)',
    );
  });

  it('finds nothing lost when every shard wrote its summary, or the run had no shards', () => {
    const rows = [{ shard: '1/2' }, { shard: '2/2' }];
    expect(shardLossMessage(shardLoss(rows, rows), () => 0)).toBeUndefined();
    expect(shardLoss([{ metric: 'x' }], [{}, {}])).toEqual({ seen: [''], incomplete: [], missing: [] });
    expect(shardLoss([{ shard: '10/10' }], [{ shard: '2/10' }]).seen.slice(0, 2)).toEqual(['2/10', '10/10']);
  });
});
