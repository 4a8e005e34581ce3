/**
 * `junit.xml`: one test case per threshold, so CI systems show budgets like tests, and one case
 * "load generator not saturated" (classname glassbench.validity) that fails with the saturation reasons.
 */
import type { RunSummary } from '../report/summary.js';

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

export function renderJunit(summary: RunSummary): string {
  const cases: string[] = [];
  let failures = 0;
  for (const [key, results] of Object.entries(summary.thresholds)) {
    for (const result of results) {
      const name = escapeXml(`${key} ${result.expr}`);
      const actual = result.actual === null ? 'no samples' : String(Math.round(result.actual * 1000) / 1000);
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

/** The validity case: passes with the lines in force, fails with each line crossed; absent when not judged. */
function validityCase(summary: RunSummary): { xml: string; failed: boolean } | undefined {
  const name = 'load generator not saturated';
  const saturation = summary.saturation;
  if (!saturation && !summary.saturated) return undefined;
  if (!summary.saturated && saturation) {
    const l = saturation.lines;
    const text = `lines: CPU ${l.cpuPct}% of a core, event-loop delay p99 ${l.loopDelayMs} ms, machine CPU ${l.machineCpuPct}%, steal ${l.machineStealPct}%, each in more than ${l.share * 100}% of the measured window`;
    return { xml: `    <testcase classname="glassbench.validity" name="${name}"><system-out>${escapeXml(text)}</system-out></testcase>`, failed: false };
  }
  const reasons = saturation?.reasons.map((r) => r.text) ?? ['saturated (no reasons recorded)'];
  const message = `the load generator was saturated, so these numbers measure the harness, not the system: ${reasons.join('; ')}`;
  return { xml: `    <testcase classname="glassbench.validity" name="${name}"><failure message="${escapeXml(message)}">${escapeXml(reasons.join('\n'))}</failure></testcase>`, failed: true };
}
