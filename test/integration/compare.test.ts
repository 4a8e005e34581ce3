/**
 * `glassbench compare` through the CLI on real runs: two runs of one scenario do not differ, a run whose SFU
 * holds every frame 30 ms longer is a regression (exit 99, naming frame_latency_ms), runs of different
 * scenarios are refused (104), and with InfluxDB the baseline is the latest passing run of the scenario.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFrames, runCli, tempDir } from '../fixtures/cli.js';
import { createDatabase, type ServerHandle, startInfluxd } from '../fixtures/influxdb.js';

const text = (name: string, addDelayMs = 0): string => `name: ${name}
duration: 4s
sfu: { addDelayMs: ${addDelayMs} }
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`;

async function run(
  dir: string,
  id: string,
  scenario: string,
  influx?: { url: string; db: string; tags?: Record<string, string> },
): Promise<string> {
  const outDir = join(dir, id);
  const { summary } = await runScenario({
    scenario: scenarioFromText(scenario),
    runId: id,
    outDir,
    ...(influx ? { influx } : {}),
  });
  expect(summary.status).toBe('passed');
  return outDir;
}

describe('glassbench compare', () => {
  const servers: ServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('exits 0 for two runs of one scenario, 99 naming frame_latency_ms against sfu.addDelayMs 30, 104 across scenarios', async () => {
    const dir = await tempDir();
    const a = await run(dir, 'a', text('compare-check'));
    const b = await run(dir, 'b', text('compare-check'));
    const slow = await run(dir, 'slow', text('compare-check', 30));
    const other = await run(dir, 'other', text('something-else'));

    const same = await runCli(['compare', a, b, '--out', join(dir, 'ab')]);
    expect(same.stderr).toBe('');
    expect(same.code, same.stdout).toBe(0);
    expect(same.stdout).toMatch(/no regression/);

    const worse = await runCli(['compare', a, slow, '--out', join(dir, 'aslow')]);
    expect(worse.code).toBe(99);
    expect(worse.stdout).toMatch(/regression: .*frame_latency_ms/);
    const json = JSON.parse(readFileSync(join(dir, 'aslow', 'compare.json'), 'utf8')) as {
      regressions: string[];
      metrics: { metric: string; p50?: { delta: number; lo: number } }[];
    };
    expect(json.regressions).toContain('frame_latency_ms');
    const row = json.metrics.find((m) => m.metric === 'frame_latency_ms');
    expect(row?.p50?.delta).toBeGreaterThan(25);
    expect(row?.p50?.lo).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'aslow', 'compare.md'), 'utf8')).toMatch(
      /\*\*Regression\*\* in .*`frame_latency_ms`/,
    );
    expect(readFileSync(join(dir, 'aslow', 'junit.xml'), 'utf8')).toMatch(/name="frame_latency_ms"><failure/);
    // a tolerance above the shift: not a regression
    const tolerated = await runCli([
      'compare',
      a,
      slow,
      '--tolerance',
      'frame_latency_ms=40',
      '--tolerance',
      'sfu_ms=40',
      '--out',
      join(dir, 'tol'),
    ]);
    expect(tolerated.code).toBe(0);

    const across = await runCli(['compare', a, other, '--out', join(dir, 'across')]);
    expect(across.code).toBe(104);
    expect(across.stderr).toMatch(
      /different scenarios \(compare-check and something-else\); pass --allow-different-scenarios/,
    );
    expect(existsSync(join(dir, 'across'))).toBe(false);
    expect(
      (await runCli(['compare', a, other, '--allow-different-scenarios', '--out', join(dir, 'across')])).code,
    ).toBe(0);
    expect((await runCli(['compare', a, join(dir, 'missing')])).stderr).toMatch(
      /not a run directory \(no summary\.json\)/,
    );
  }, 120_000);

  it('--baseline influx:latest finds the latest passing run of the same scenario and branch in InfluxDB', async () => {
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const dir = await tempDir();
    const target = (branch: string): { url: string; db: string; tags: Record<string, string> } => ({
      url: influx.url,
      db: 'glassbench',
      tags: { branch },
    });
    // main's history: three passing runs; the latest of them is the baseline
    await run(dir, 'main-1', text('influx-compare'), target('main'));
    await run(dir, 'main-2', text('influx-compare'), target('main'));
    await run(dir, 'first-main', text('influx-compare'), target('main'));
    await run(dir, 'other-branch', text('influx-compare'), target('feature'));
    await run(dir, 'candidate', text('influx-compare', 30), target('main'));
    const args = [
      '--influx-url',
      influx.url,
      '--influx-db',
      'glassbench',
      '--tag',
      'branch=main',
      '--out',
      join(dir, 'cmp'),
    ];
    const result = await runCli(['compare', '--baseline', 'influx:latest', 'influx:candidate', ...args]);
    expect(result.stderr).toMatch(/baseline: influx:first-main \(the latest passing run of influx-compare\)/);
    expect(result.code).toBe(99);
    expect(result.stdout).toMatch(/regression: .*frame_latency_ms/);
    // the change-point check over main's three earlier runs sees the 30 ms step
    expect(result.stdout).toMatch(
      /STEP CHANGE in frame_latency_ms: candidate median \d+\.\d against \d+\.\d \+\/- \d+\.\d over the last 3 passing runs/,
    );
    // the same comparison from the files gives the same sample counts
    const fromDb = JSON.parse(readFileSync(join(dir, 'cmp', 'compare.json'), 'utf8')) as {
      metrics: { metric: string; baselineCount: number; candidateCount: number }[];
    };
    const fromFiles = await runCli([
      'compare',
      join(dir, 'first-main'),
      join(dir, 'candidate'),
      '--out',
      join(dir, 'cmp-files'),
    ]);
    expect(fromFiles.code).toBe(99);
    const files = JSON.parse(readFileSync(join(dir, 'cmp-files', 'compare.json'), 'utf8')) as typeof fromDb;
    expect(fromDb.metrics.map((m) => [m.metric, m.baselineCount, m.candidateCount])).toEqual(
      files.metrics.map((m) => [m.metric, m.baselineCount, m.candidateCount]),
    );
    // the candidate's report rebuilt from InfluxDB alone: every frame point, drawn
    const rebuilt = await runCli([
      'report',
      'influx:candidate',
      '--influx-url',
      influx.url,
      '--influx-db',
      'glassbench',
      '--out',
      join(dir, 'rebuilt'),
    ]);
    expect(rebuilt.code).toBe(0);
    expect(readFrames(join(dir, 'rebuilt')).length).toBe(readFrames(join(dir, 'candidate')).length);
    const html = readFileSync(join(dir, 'rebuilt', 'report.html'), 'utf8');
    expect(html).toMatch(/"metric":"frame_latency_ms"/);
    expect(html).toMatch(/rebuilt from InfluxDB \(testid candidate/);
    // nothing to compare against: a clear error
    const none = await runCli([
      'compare',
      '--baseline',
      'influx:latest',
      'influx:candidate',
      '--influx-url',
      influx.url,
      '--influx-db',
      'glassbench',
      '--tag',
      'branch=nope',
    ]);
    expect(none.code).toBe(104);
    expect(none.stderr).toMatch(
      /no passing run of scenario influx-compare tagged branch=nope other than the candidate/,
    );
  }, 120_000);
});
