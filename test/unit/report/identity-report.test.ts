/** The report's frame-identity table: receipts per identity method and those whose frame stayed unknown. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { renderReport } from '../../../src/report/html.js';
import { reportData } from '../../../src/report/report-data.js';
import { writeRunDir } from '../../fixtures/run-dir.js';

const root = mkdtempSync(join(tmpdir(), 'gb-identity-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (name: string, summary: Record<string, unknown>): string => writeRunDir(root, name, summary);

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
