/** `junit.xml`: one test case per threshold, so CI systems show budgets like tests. */
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
