/**
 * InfluxDB answering badly: a fake HTTP server stands in for InfluxDB here, because a real influxd cannot be made
 * to answer with garbage, a wrong status, half an answer or too late on purpose. For each of 300 in the suite
 * (10,000 nightly: GLASSBENCH_FUZZ_RUNS) seeded answers, a sink writes points and closes: nothing throws, and every
 * point is either written or kept in the pending file, none lost.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InfluxSink } from '../../../src/sinks/influx-sink.js';
import { fuzzRuns, reportFuzz } from '../../fixtures/fuzz.js';

interface Answer {
  status: number;
  body: string;
  contentType: string;
  delayMs: number;
  /** cut the connection instead of answering */
  hangUp: boolean;
}

const ANSWER = fc.record({
  status: fc.constantFrom(200, 204, 204, 204, 400, 401, 404, 413, 422, 429, 500, 502, 503, 302),
  body: fc.oneof(
    fc.constantFrom(
      '',
      '{"error":"partial write: field type conflict"}',
      '{"code":"invalid"',
      '<html>bad gateway</html>',
    ),
    fc.string({ maxLength: 200 }),
    fc.constant('x'.repeat(200_000)),
  ),
  contentType: fc.constantFrom('application/json', 'text/html', 'text/plain', '', 'application/json; charset=x'),
  delayMs: fc.oneof(
    { arbitrary: fc.constant(0), weight: 8 },
    { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 2 },
  ),
  hangUp: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
});

describe('InfluxSink against bad InfluxDB answers (a fake server: a real one cannot answer badly on purpose)', () => {
  let server: Server;
  let url = '';
  let next: Answer = { status: 204, body: '', contentType: '', delayMs: 0, hangUp: false };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const answer = next;
      req.resume();
      req.on('end', () => {
        setTimeout(() => {
          if (answer.hangUp) return void res.socket?.destroy();
          res.writeHead(answer.status, answer.contentType ? { 'content-type': answer.contentType } : {});
          res.end(answer.body);
        }, answer.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('writes every point or keeps it in the pending file, whatever InfluxDB answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassbench-influx-answers-'));
    const tally = { answers: 0, written: 0, kept: 0, warned: 0 };
    let i = 0;
    await fc.assert(
      fc.asyncProperty(ANSWER, async (answer) => {
        next = answer;
        const pendingFile = join(dir, `pending-${(i += 1)}.lp`);
        const sink = new InfluxSink({
          connection: { url, db: 'glassbench' },
          tags: { testid: 't', scenario: 's', placement: 'none' },
          pendingFile,
        });
        for (let k = 0; k < 3; k += 1) sink.writeResources('harness', 1000 + k, { cpu_pct: k, rss_mb: 50 });
        await sink.close();
        tally.answers += 1;
        expect(sink.pointsWritten + sink.pointsPending, JSON.stringify(answer).slice(0, 200)).toBe(3);
        const kept = existsSync(pendingFile)
          ? readFileSync(pendingFile, 'utf8')
              .split('\n')
              .filter((l) => l !== '').length
          : 0;
        expect(kept).toBe(sink.pointsPending);
        if (sink.pointsPending > 0) expect(sink.warnings.join(' ')).toMatch(/InfluxDB write to .* failed/);
        tally.written += sink.pointsWritten;
        tally.kept += sink.pointsPending;
        tally.warned += sink.warnings.length;
      }),
      { seed: 2212, numRuns: fuzzRuns(300) },
    );
    reportFuzz('InfluxDB answers', tally);
    expect(tally.written).toBeGreaterThan(0);
    expect(tally.kept).toBeGreaterThan(0);
  }, 120_000);

  it('keeps the points of a write that InfluxDB never answers', async () => {
    next = { status: 204, body: '', contentType: '', delayMs: 10_000, hangUp: false };
    const pendingFile = join(mkdtempSync(join(tmpdir(), 'glassbench-influx-slow-')), 'influx-pending.lp');
    const sink = new InfluxSink({
      connection: { url, db: 'glassbench' },
      tags: { testid: 't', scenario: 's', placement: 'none' },
      pendingFile,
    });
    sink.writeResources('harness', 1000, { cpu_pct: 1 });
    await sink.close();
    expect(sink.pointsPending).toBe(1);
    expect(sink.warnings.join(' ')).toMatch(/timed out/i);
  }, 20_000);
});
