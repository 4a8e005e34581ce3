/**
 * `junit.xml`: one test case per threshold, so CI systems show budgets like tests, and one case
 * "load generator not saturated" (classname glassbench.validity) that fails with the saturation reasons.
 */
import { parseThresholdKey } from '../budgets/parse.js';
import { findMetric } from '../metrics/catalogue.js';
import type { RateSummary } from '../metrics/series.js';
import type { RunSummary } from '../report/summary.js';

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
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
        cases.push(
          `    <testcase classname="glassbench.thresholds" name="${name}"><system-out>actual ${escapeXml(actual)}</system-out></testcase>`,
        );
      } else {
        failures += 1;
        cases.push(
          `    <testcase classname="glassbench.thresholds" name="${name}"><failure message="${escapeXml(`${key} ${result.expr}: actual ${actual}`)}"/></testcase>`,
        );
      }
    }
  }
  // validity: a CI that reads junit.xml sees a starved load generator as a failing test, next to the budgets
  const validity = validityCase(summary);
  if (validity) {
    cases.push(validity.xml);
    if (validity.failed) failures += 1;
  }
  let errors = 0;
  if (summary.status === 'error' || summary.status === 'aborted') {
    errors = 1;
    const message = escapeXml(summary.error?.message ?? summary.status);
    cases.push(
      `    <testcase classname="glassbench.run" name="run completed"><error message="${message}"/></testcase>`,
    );
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

/** The validity case: passes with the lines in force, fails with each line crossed; absent when not judged. */
function validityCase(summary: RunSummary): { xml: string; failed: boolean } | undefined {
  const name = 'load generator not saturated';
  const saturation = summary.saturation;
  if (!saturation && !summary.saturated) return undefined;
  if (!summary.saturated && saturation) {
    const l = saturation.lines;
    const text = `lines: CPU ${l.cpuPct}% of a core, event-loop delay p99 ${l.loopDelayMs} ms, machine CPU ${l.machineCpuPct}%, steal ${l.machineStealPct}%, each in more than ${l.share * 100}% of the measured window`;
    return {
      xml: `    <testcase classname="glassbench.validity" name="${name}"><system-out>${escapeXml(text)}</system-out></testcase>`,
      failed: false,
    };
  }
  const reasons = saturation?.reasons.map((r) => r.text) ?? ['saturated (no reasons recorded)'];
  const message = `the load generator was saturated, so these numbers measure the harness, not the system: ${reasons.join('; ')}`;
  return {
    xml: `    <testcase classname="glassbench.validity" name="${name}"><failure message="${escapeXml(message)}">${escapeXml(reasons.join('\n'))}</failure></testcase>`,
    failed: true,
  };
}
