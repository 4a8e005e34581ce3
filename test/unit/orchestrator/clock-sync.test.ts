/**
 * ClockSync against a real reference SFU's `GET /clock` on loopback whose clock is skewed by the test aid
 * GLASSBENCH_TEST_CLOCK_SKEW_MS (its modules loaded afresh with the variable set, so only the server's clock
 * is off): the estimate lands within its stated uncertainty of the skew, keeps re-estimating, honours the
 * token; SFU telemetry times are read into the local clock with the offset's sign.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ClockSync, telemetryToLocal } from '../../../src/orchestrator/clock-sync.js';
import type { TelemetryRecord } from '../../../src/protocol/telemetry.js';

interface Served {
  url: string;
  close(): Promise<void>;
}

/** A reference SFU whose clock reads `skewMs` off this process's, as a host with a wrong clock would. */
async function skewedServer(skewMs: number, token?: string): Promise<Served> {
  vi.stubEnv('GLASSBENCH_TEST_CLOCK_SKEW_MS', String(skewMs));
  vi.resetModules();
  const { ReferenceServer } = await import('../../../reference-server/server.js');
  vi.unstubAllEnvs();
  const server = new ReferenceServer(token ? { token } : {});
  const port = await server.listen(0);
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

describe('ClockSync', () => {
  const servers: Served[] = [];
  const syncs: ClockSync[] = [];
  afterEach(async () => {
    for (const sync of syncs.splice(0)) sync.stop();
    for (const server of servers.splice(0)) await server.close();
  });

  it("estimates +250 ms against an SFU whose clock is 250 ms behind this host's, within the stated uncertainty", async () => {
    const server = await skewedServer(-250);
    servers.push(server);
    const sync = await ClockSync.connect('sfu-endpoint', { url: `${server.url}/clock` });
    syncs.push(sync);
    const uncertaintyMs = sync.uncertaintyMs();
    expect(uncertaintyMs).not.toBeNull();
    expect(Math.abs(sync.offsetMs - 250)).toBeLessThanOrEqual(uncertaintyMs as number);
    const summary = sync.summary({ uplink_ms: 1000 });
    expect(summary).toMatchObject({ method: 'sfu-endpoint', samples: 12, failed: 0, estimates: 1 });
    expect(summary.source).toBe(`${server.url}/clock`);
    // 1000 ms of uplink is not made doubtful by a sub-millisecond uncertainty on loopback
    expect(summary.uncertainMetrics).toEqual([]);
  });

  it('re-estimates while the run goes, every estimate seeing the skew', async () => {
    const server = await skewedServer(-250);
    servers.push(server);
    const sync = await ClockSync.connect(
      'sfu-endpoint',
      { url: `${server.url}/clock` },
      { preflightExchanges: 4, exchanges: 2, intervalMs: 50 },
    );
    syncs.push(sync);
    sync.start();
    await vi.waitFor(() => expect(sync.summary({}).estimates).toBeGreaterThanOrEqual(3), { timeout: 5000 });
    sync.stop();
    const summary = sync.summary({});
    expect(summary.samples).toBeGreaterThanOrEqual(8);
    // every burst saw the skew (each estimate is within its own uncertainty of it, a few ms at most on loopback)
    expect(summary.offsetMinMs).toBeGreaterThan(200);
    expect(summary.offsetMaxMs).toBeLessThan(300);
    expect(Math.abs(summary.offsetMs - 250)).toBeLessThanOrEqual(summary.uncertaintyMs as number);
  });

  it("asks with the target's token, and fails without it", async () => {
    const server = await skewedServer(0, 's3cret');
    servers.push(server);
    await expect(ClockSync.connect('sfu-endpoint', { url: `${server.url}/clock` })).rejects.toThrow(/401/);
    const sync = await ClockSync.connect('sfu-endpoint', { url: `${server.url}/clock`, token: 's3cret' });
    syncs.push(sync);
    expect(sync.summary({}).samples).toBe(12);
  });

  it('same-host: offset 0, uncertainty the resolution; unknown: offset 0, null uncertainty, every cross-host stage marked', () => {
    const same = ClockSync.sameHost().summary({ uplink_ms: 1.2, downlink_ms: 0.8 });
    expect(same).toMatchObject({ method: 'same-host', offsetMs: 0, samples: 0, uncertainMetrics: [] });
    expect(same.uncertaintyMs).toBe(same.resolutionMs);
    expect(same.resolutionMs).toBeGreaterThan(0);
    const unknown = ClockSync.unknown('nothing answered').summary({ uplink_ms: 1.2, sfu_ms: 0.3 });
    expect(unknown).toMatchObject({ method: 'unknown', offsetMs: 0, uncertaintyMs: null, note: 'nothing answered' });
    expect(unknown.uncertainMetrics).toEqual([{ metric: 'uplink_ms', p50Ms: 1.2, uncertaintyMs: null }]);
  });

  it('reads SFU times into the local clock as sfu + offset, and leaves durations alone', () => {
    const records: TelemetryRecord[] = [
      { k: 'in', f: '1:1', pub: 'p', ms: 1000 },
      { k: 'out', f: '1:1', sub: 's', ms: 1002 },
      { k: 'ai', f: '1:1', pub: 'p', readyMs: 1001, outcome: 'done', queueMs: 3, hookMs: 9 },
      { k: 'speech', pub: 'p', n: 1, speechStartMs: 10, speechEndMs: 20, asrDoneMs: 30 },
    ];
    const local = records.map((r) => telemetryToLocal(r, 250));
    expect(local[0]).toMatchObject({ ms: 1250 });
    expect(local[1]).toMatchObject({ ms: 1252 });
    expect(local[2]).toMatchObject({ readyMs: 1251, queueMs: 3, hookMs: 9 });
    expect(local[3]).toMatchObject({ speechStartMs: 260, speechEndMs: 270, asrDoneMs: 280 });
    expect(local[3]).not.toHaveProperty('mtDoneMs');
  });
});
