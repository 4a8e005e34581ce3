import { describe, expect, it } from 'vitest';

import { SfuMetrics } from '../../../reference-server/sfu/metrics.js';

/** The value of one series in the Prometheus text, or undefined when it is not there. */
function series(text: string, name: string, kind: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{kind="${kind}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('SfuMetrics per-packet counters', () => {
  it('shows what the packet path counted at each read, once, by kind', async () => {
    const metrics = new SfuMetrics();
    metrics.byKind.video.packetsOut.inc();
    metrics.byKind.video.packetsOut.inc();
    metrics.byKind.video.bytesOut.inc(1200);
    metrics.byKind.audio.packetsIn.inc();

    const first = await metrics.registry.metrics();
    expect(series(first, 'glassbench_sfu_packets_out_total', 'video')).toBe(2);
    expect(series(first, 'glassbench_sfu_bytes_out_total', 'video')).toBe(1200);
    expect(series(first, 'glassbench_sfu_packets_in_total', 'audio')).toBe(1);

    metrics.byKind.video.packetsOut.inc();
    const second = await metrics.registry.metrics();
    expect(series(second, 'glassbench_sfu_packets_out_total', 'video')).toBe(3);
    expect(series(second, 'glassbench_sfu_bytes_out_total', 'video')).toBe(1200);
    expect(series(second, 'glassbench_sfu_packets_out_total', 'audio')).toBeUndefined();
  });
});
