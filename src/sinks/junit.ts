/** `junit.xml`: one test case per threshold, so CI systems show budgets like tests. */
import { parseThresholdKey } from '../budgets/parse.js';
import { findMetric } from '../metrics/catalogue.js';
import type { RateSummary } from '../metrics/series.js';
import type { RunSummary } from '../report/summary.js';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** The metric of a threshold key (`frame_loss_ratio{room:r1}`, or `<variant>: <key>` in a run with variants). */
function metricOf(key: string): string | undefined {
  try {
    return parseThresholdKey(key.includes(': ') ? key.slice(key.indexOf(': ') + 2) : key).metric;
  } catch {
    return undefined;
  }
}

/**
 * The measured value as a person reads it: a Rate (k6) as a percentage with its fraction, and, for the
 * unfiltered metric, how many of how many (`0.42% (rate 0.0042, 21 of 5000)`); 0.0042 rounded to 3 places
 * would read 0.004, and 0.0004 would read 0.
 */
function actualText(summary: RunSummary, key: string, actual: number | null): string {
  if (actual === null) return 'no samples';
  const metric = metricOf(key);
  if (metric !== undefined && findMetric(metric)?.kind === 'rate') {
    const whole = key === metric ? (summary.metrics[metric] as RateSummary | undefined) : undefined;
    const counts = whole && 'hits' in whole ? `, ${whole.hits} of ${whole.count}` : '';
    return `${Number((actual * 100).toPrecision(3))}% (rate ${Number(actual.toPrecision(4))}${counts})`;
  }
  return String(Math.round(actual * 1000) / 1000);
}

export function renderJunit(summary: RunSummary): string {
  const cases: string[] = [];
  let failures = 0;
  for (const [key, results] of Object.entries(summary.thresholds)) {
    for (const result of results) {
      const name = escapeXml(`${key} ${result.expr}`);
      const actual = actualText(summary, key, result.actual);
      if (result.ok) {
        cases.push(`    <testcase classname="glassbench.thresholds" name="${name}"><system-out>actual ${escapeXml(actual)}</system-out></testcase>`);
      } else {
        failures += 1;
        cases.push(
          `    <testcase classname="glassbench.thresholds" name="${name}"><failure message="${escapeXml(`${key} ${result.expr}: actual ${actual}`)}"/></testcase>`,
        );
      }
    }
  }
  let errors = 0;
  if (summary.status === 'error' || summary.status === 'aborted') {
    errors = 1;
    const message = escapeXml(summary.error?.message ?? summary.status);
    cases.push(`    <testcase classname="glassbench.run" name="run completed"><error message="${message}"/></testcase>`);
  }
  const suite = escapeXml(`glassbench ${summary.scenario.name}`);
  const seconds = (summary.durationMs / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="glassbench" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    `  <testsuite name="${suite}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds}" timestamp="${summary.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
