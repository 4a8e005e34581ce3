/**
 * The SFU side of an external target, against a stand-in SFU on loopback that serves `/clock` 40 ms behind this
 * host and a `/telemetry` stream: found at the WHIP URL's origin, asked with the target's token, its records
 * passed on in this host's clock and only for this shard's publishers; with `telemetry: false` or an origin
 * that is no glassbench SFU, nothing is read and the note says why.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { nowMs } from '../../../src/metrics/clock.js';
import { connectRemoteSfu, type RemoteSfu } from '../../../src/orchestrator/remote-sfu.js';
import type { TelemetryRecord } from '../../../src/protocol/telemetry.js';
import { scenarioFromText } from '../../../src/scenario/validate.js';

const SFU_BEHIND_MS = 40;
const TOKEN = 't0ken';

/** A stand-in reference SFU: /clock (its clock 40 ms behind), /telemetry (two records of tag 1, one of tag 2). */
async function standIn(options: {
  clock: boolean;
  /** end the first telemetry stream at once (a dropped connection) */
  dropFirst?: boolean;
}): Promise<{ url: string; server: Server; auth: string[] }> {
  const auth: string[] = [];
  let streams = 0;
  const server = createServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    if (req.url === '/clock' && options.clock) {
      const receivedMs = nowMs() - SFU_BEHIND_MS;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ receivedMs, sentMs: nowMs() - SFU_BEHIND_MS }));
    } else if (req.url === '/telemetry') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const records: unknown[] = [
        { k: 'hello' },
        { k: 'in', f: '1:7', pub: 'p1', ms: 1000 },
        { k: 'in', f: '2:7', pub: 'p2', ms: 1000 },
        { k: 'out', f: '1:7', sub: 's1', ms: 1001 },
        { k: 'res', ms: 1000, cpuPct: 5, rssMb: 80, loopDelayP99Ms: 1, loopDelayMaxMs: 2 },
      ];
      res.write(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      streams += 1;
      if (options.dropFirst && streams === 1) res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, auth };
}

function target(url: string, extra = ''): ReturnType<typeof scenarioFromText> {
  return scenarioFromText(`name: r
duration: 2s
target: { whip: "${url}/whip/{room}", whep: "${url}/whep/{room}", token: ${TOKEN}${extra} }
peers:
  - { role: publisher, count: 1 }
`);
}

describe('connectRemoteSfu', () => {
  const servers: Server[] = [];
  const remotes: RemoteSfu[] = [];
  afterEach(async () => {
    for (const r of remotes.splice(0)) {
      r.clock.stop();
      r.telemetry?.close();
    }
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  it("finds a reference SFU at the WHIP origin and passes this shard's records on in this host's clock", async () => {
    const sfu = await standIn({ clock: true });
    servers.push(sfu.server);
    const scenario = target(sfu.url);
    if (scenario.target.type !== 'external') throw new Error('expected an external target');
    const records: TelemetryRecord[] = [];
    const notes: string[] = [];
    const remote = await connectRemoteSfu(scenario, scenario.target, new Set([1]), (r) => records.push(r), notes);
    remotes.push(remote);
    const summary = remote.clock.summary({});
    expect(summary.method).toBe('sfu-endpoint');
    expect(Math.abs(summary.offsetMs - SFU_BEHIND_MS)).toBeLessThanOrEqual(summary.uncertaintyMs as number);
    await vi.waitFor(() => expect(records).toHaveLength(3));
    // tag 2's frame belongs to another shard; the SFU's times are read as sfu + offset
    expect(records.map((r) => r.k)).toEqual(['in', 'out', 'res']);
    expect((records[0] as { ms: number }).ms).toBeCloseTo(1000 + remote.clock.offsetMs, 6);
    expect(notes).toEqual([]);
    expect(new Set(sfu.auth)).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  it('opens the telemetry stream again when it drops, and notes the gap', async () => {
    const sfu = await standIn({ clock: true, dropFirst: true });
    servers.push(sfu.server);
    const scenario = target(sfu.url);
    if (scenario.target.type !== 'external') throw new Error('expected an external target');
    const records: TelemetryRecord[] = [];
    const notes: string[] = [];
    const remote = await connectRemoteSfu(scenario, scenario.target, new Set([1]), (r) => records.push(r), notes);
    remotes.push(remote);
    // the first stream's three records, then the second's
    await vi.waitFor(() => expect(records).toHaveLength(6), { timeout: 5000 });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('ended mid-run and was opened again');
  });

  it('reads nothing with telemetry: false, and says why; no clock endpoint leaves the offset unknown', async () => {
    const sfu = await standIn({ clock: true });
    servers.push(sfu.server);
    const scenario = target(sfu.url, ', telemetry: false');
    if (scenario.target.type !== 'external') throw new Error('expected an external target');
    const notes: string[] = [];
    const remote = await connectRemoteSfu(scenario, scenario.target, new Set([1]), () => undefined, notes);
    remotes.push(remote);
    expect(remote.telemetry).toBeUndefined();
    expect(remote.clock.method).toBe('unknown');
    expect(notes.join(' ')).toContain('target.telemetry is false');
  });

  it('an origin whose /clock does not answer is not taken for a glassbench SFU', async () => {
    const other = await standIn({ clock: false });
    servers.push(other.server);
    const scenario = target(other.url);
    if (scenario.target.type !== 'external') throw new Error('expected an external target');
    const notes: string[] = [];
    const remote = await connectRemoteSfu(scenario, scenario.target, new Set([1]), () => undefined, notes);
    remotes.push(remote);
    expect(remote.telemetry).toBeUndefined();
    expect(remote.clock.summary({ uplink_ms: 3 })).toMatchObject({
      method: 'unknown',
      uncertaintyMs: null,
      uncertainMetrics: [{ metric: 'uplink_ms', p50Ms: 3, uncertaintyMs: null }],
    });
    expect(notes.join(' ')).toMatch(/\/clock did not answer as a glassbench SFU's does \(GET .* answered 404\)/);
  });
});
