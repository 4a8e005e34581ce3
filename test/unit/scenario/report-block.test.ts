/** The scenario's `report` block: `summary-export`, relative to the scenario file, checked where it is written. */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { problemsOf } from '../../fixtures/scenario.js';

const BASE = `name: r
duration: 5s
peers:
  - { role: publisher, count: 1 }
  - { role: subscriber, count: 1 }
`;

describe('report block', () => {
  it('resolves summary-export against the scenario file, and leaves it out when absent', () => {
    const scenario = scenarioFromText(`${BASE}report: { summary-export: k6/out.json }\n`, '/srv/tests/s.yaml');
    expect(scenario.report).toEqual({ summaryExport: join('/srv/tests', 'k6', 'out.json') });
    const absolute = scenarioFromText(`${BASE}report: { summary-export: /tmp/k6.json }\n`, '/srv/tests/s.yaml');
    expect(absolute.report?.summaryExport).toBe('/tmp/k6.json');
    expect(scenarioFromText(BASE, '/srv/tests/s.yaml').report).toBeUndefined();
  });

  it('refuses other keys and values that are not a path, each with its place', () => {
    expect(problemsOf(`${BASE}report: { summaryExport: a.json }\n`).join('\n')).toMatch(
      /^x\.yaml:6:\d+ report\.summaryExport: unknown key/m,
    );
    expect(problemsOf(`${BASE}report: { summary-export: 3 }\n`).join('\n')).toMatch(
      /^x\.yaml:6:27 report\.summary-export: must be string/m,
    );
    expect(problemsOf(`${BASE}report: { summary-export: "" }\n`).join('\n')).toMatch(
      /^x\.yaml:6:27 report\.summary-export: /m,
    );
  });
});
