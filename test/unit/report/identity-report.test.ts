/** The report's frame-identity table: receipts per identity method and those whose frame stayed unknown. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { renderReport } from '../../../src/report/html.js';
import { reportData } from '../../../src/report/report-data.js';

const root = mkdtempSync(join(tmpdir(), 'gb-identity-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(name: string, summary: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({
      runId: 'r',
      status: 'passed',
      saturated: false,
      notes: [],
      scenario: { name: 's' },
      startedAt: '2026-01-01T00:00:00.000Z',
      processes: {},
      metrics: {},
      thresholds: {},
      ...summary,
    }),
  );
  writeFileSync(join(dir, 'frames.ndjson.gz'), gzipSync(''));
  return dir;
}

describe('frame identity in the report', () => {
  it('lists the receipts each method named and the identity lost, marking a loss', async () => {
    const identity = {
      methods: { payload: 700, 'rtp-offset': 240 },
      identityLost: 3,
      subscriptions: [
        { peer: 'p1', sub: 's1', method: 'payload', methods: { payload: 700 }, identityLost: 0 },
        { peer: 'p2', sub: 's2', method: 'rtp-offset', methods: { 'rtp-offset': 240 }, identityLost: 3 },
      ],
    };
    const data = await reportData(run('named', { identity }));
    expect(data.identity).toEqual({ methods: { payload: 700, 'rtp-offset': 240 }, identityLost: 3, subscriptions: 2 });
    const html = renderReport(data, '');
    expect(html).toContain('<table id="identity">');
    expect(html).toContain('<tr><td>payload</td><td>700</td></tr>');
    expect(html).toContain('<tr><td>rtp-offset</td><td>240</td></tr>');
    expect(html).toContain('<tr class="fail"><td>identity lost</td><td>3</td></tr>');
    expect(html).toContain('over 2 subscription(s)');
  });

  it('has no identity table for a summary without summary.identity (an older run)', async () => {
    const data = await reportData(run('older', {}));
    expect(data.identity).toBeUndefined();
    expect(renderReport(data, '')).not.toContain('id="identity"');
  });
});
