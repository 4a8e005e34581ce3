/** docs/metrics.md is rendered from the catalogue: the file in the repository must be what the catalogue renders. */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { METRICS } from '../../../src/metrics/catalogue.js';
import { renderMetricsDoc } from '../../../src/metrics/metrics-doc.js';

describe('docs/metrics.md', () => {
  it('is what the catalogue renders', () => {
    const rendered = renderMetricsDoc();
    const committed = readFileSync('docs/metrics.md', 'utf8');
    expect(committed === rendered, 'docs/metrics.md is stale: run npm run docs:metrics').toBe(true);
  });

  it('lists every metric once, under the heading of its scope', () => {
    const doc = renderMetricsDoc();
    for (const m of METRICS) expect(doc.split(`| \`${m.name}\` |`).length - 1, m.name).toBe(1);
    const receipt = doc.slice(doc.indexOf('## Per receipt'), doc.indexOf('## Per expected pair'));
    expect(receipt).toContain('| `g2g_latency_ms` |');
    expect(receipt).not.toContain('| `frames_lost` |');
  });
});
