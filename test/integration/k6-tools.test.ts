/**
 * k6's own tools read glassbench's k6 summary export: the real k6-html-reporter and k6-to-junit (exact dev
 * dependencies), run as a user runs them, on the exports of a passing and a failing run, agree with summary.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { RunSummary } from '../../src/report/summary.js';
import { CLI, readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const REPORTER = resolve('node_modules/k6-html-reporter');
const TO_JUNIT = resolve('node_modules/k6-to-junit/dist/command.js');

const scenario = (thresholds: string, report = ''): string => `name: k6-tools
duration: 3s
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
thresholds:
${thresholds}
${report}`;

const PASSING = `  frame_latency_ms: ["p(95)<2000", "p(99.9)<5000"]
  frame_latency_ms{peer_kind:synthetic}: ["max<5000"]
  frames_received: ["count>10"]
  frame_loss_ratio: ["rate<0.5"]`;

// fails twice: a budget no frame meets, and a browser metric with no browser receiver (no samples)
const FAILING = `${PASSING}
  sfu_ms: ["max<0.0001"]
  g2g_latency_ms: ["p(95)<400"]`;

/** Runs a command line through bash (a pipe, as a CI step writes it); resolves with its exit code. */
function shell(line: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', line], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => done({ code, output }));
  });
}

/** summary.json's verdicts as `<key> <expression>` -> ok. */
function verdictsOf(summary: RunSummary): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(summary.thresholds).flatMap(([key, list]) => list.map((r) => [`${key} ${r.expr}`, r.ok])),
  );
}

const unescape = (html: string): string =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** The HTML report's threshold list: each metric's `<h6>` and the verdict block of each of its expressions. */
function htmlVerdicts(html: string): Record<string, boolean> {
  const start = html.indexOf('id="collapseThreshold"');
  expect(start).toBeGreaterThan(0);
  const section = html.slice(start, html.indexOf('<table', start));
  const out: Record<string, boolean> = {};
  for (const item of section.split('<h6>').slice(1)) {
    const metric = unescape(item.slice(0, item.indexOf('</h6>')).trim());
    for (const m of item.matchAll(/list-group-item (fail|success)-block">\s*([^<]+?)\s*<\/li>/g))
      out[`${metric} ${unescape(m[2] as string)}`] = m[1] === 'success';
  }
  return out;
}

/** k6-to-junit's test cases: name -> passed (no <failure>). */
function junitVerdicts(xml: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const m of xml.matchAll(/<testcase name="([^"]+)">([\s\S]*?)<\/testcase>/g))
    out[unescape(m[1] as string)] = !(m[2] as string).includes('<failure');
  return out;
}

describe('k6 summary export, read by k6 tools', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('a passing (--summary-export) and a failing run (report.summary-export): both tools give summary.json verdicts', async () => {
    const dir = await tempDir();
    const runs = [
      {
        name: 'passing',
        file: await writeScenario(dir, 'passing.yaml', scenario(PASSING)),
        export: join(dir, 'passing-k6.json'),
        code: 0,
      },
      {
        name: 'failing',
        // relative to the scenario file
        file: await writeScenario(
          dir,
          'failing.yaml',
          scenario(FAILING, 'report:\n  summary-export: k6/failing.json\n'),
        ),
        export: join(dir, 'k6', 'failing.json'),
        code: 99,
      },
    ];
    for (const run of runs) {
      const out = join(dir, `out-${run.name}`);
      const flags = run.name === 'passing' ? ['--summary-export', run.export] : [];
      const result = await runCli(['run', run.file, '--out', out, ...flags]);
      expect(result.code, result.stderr).toBe(run.code);
      expect(result.stdout).toContain(`k6 summary: ${run.export}`);
      const summary = readSummary(out);
      const expected = verdictsOf(summary);
      expect(Object.values(expected).includes(false)).toBe(run.name === 'failing');
      expect(Object.keys(expected)).toHaveLength(run.name === 'passing' ? 5 : 7);

      // k6-html-reporter, through its documented API, in a node of its own
      const html = join(dir, `html-${run.name}`);
      const reporter = await shell(
        `node -e 'require(${JSON.stringify(REPORTER)}).generateSummaryReport({ jsonFile: ${JSON.stringify(run.export)}, output: ${JSON.stringify(html)} })'`,
      );
      expect(reporter.code, reporter.output).toBe(0);
      const page = readFileSync(join(html, 'report.html'), 'utf8');
      expect(htmlVerdicts(page)).toEqual(expected);
      for (const metric of ['frame_latency_ms', 'frames_received', 'frame_loss_ratio', 'uplink_ms', 'sfu_ms'])
        expect(page).toContain(`<td>${metric}</td>`);
      const failed = Object.values(expected).filter((ok) => !ok).length;
      expect(page).toContain(failed === 0 ? 'All thresholds were met!' : `${failed} thresholds were not met`);

      // k6-to-junit reads k6's console summary: glassbench prints the export as one
      const junit = join(dir, `junit-${run.name}.xml`);
      const converted = await shell(
        `node ${JSON.stringify(CLI)} summary-text ${JSON.stringify(run.export)} | node ${JSON.stringify(TO_JUNIT)} ${JSON.stringify(junit)}`,
      );
      expect(converted.code, converted.output).toBe(0);
      const xml = readFileSync(join(junit), 'utf8');
      expect(junitVerdicts(xml)).toEqual(expected);
      expect(xml).toContain(`<testsuites tests="${Object.keys(expected).length}" failures="${failed}"`);
    }
  });

  it('refuses, before the run, a summary-export path that cannot be a file (exit 104, nothing started)', async () => {
    const dir = await tempDir();
    const file = await writeScenario(dir, 'passing.yaml', scenario(PASSING));
    await writeScenario(dir, 'taken', 'a file, not a directory');
    const under = await runCli([
      'run',
      file,
      '--out',
      join(dir, 'out'),
      '--summary-export',
      join(dir, 'taken', 'k6.json'),
    ]);
    expect(under.code).toBe(104);
    expect(under.stderr).toContain(
      `--summary-export ${join(dir, 'taken', 'k6.json')}: ${join(dir, 'taken')} is a file, not a directory`,
    );
    const directory = await writeScenario(dir, 'dir.yaml', scenario(PASSING, 'report:\n  summary-export: .\n'));
    const refused = await runCli(['run', directory, '--out', join(dir, 'out')]);
    expect(refused.code).toBe(104);
    expect(refused.stderr).toContain(`report.summary-export ${dir}: is a directory`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
