/**
 * Load-generator validity, end to end through the CLI with real parts (reference SFU, werift peers in one peer
 * runner, live VP8 encoders): a run that starves its one runner ends saturated, with reasons naming the process
 * and the measure, on the console, in summary.json, report.html and junit.xml; and `glassbench capacity` on a
 * scenario whose generator saturates before any threshold fails reports the harness limit, not a knee.
 *
 * The load: one encoded publisher at 60 fps and many synthetic subscribers in ONE runner. Measured on this
 * 2-core machine when quiet: 150 subscribers (8600 frames received a second) keep its event-loop delay p99 at
 * 16 ms on average, under the 20 ms line; 250 subscribers (15000 frames a second due) put it at 52 ms on
 * average, over the line in every second, and the publisher falls behind its 60 fps. On a busy machine the
 * runner waits for a core as well. Either way the reason names runner-1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

describe('load-generator saturation', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('a starved peer runner makes the run saturated, with reasons on the console, in report.html and junit.xml', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'starved.yaml',
      `name: starved
duration: 6s
runners: 1
peers:
  - { role: publisher, count: 1, video: { source: encoded, fps: 60 } }
  - { role: subscriber, count: 250 }
thresholds:
  frame_latency_ms: ["p(95)<60000"]
`,
    );
    const out = join(dir, 'out');
    const result = await runCli(['run', scenario, '--out', out], { timeoutMs: 150_000 });
    // the threshold held: a saturated run is not a failed one (exit code), it is an invalid one (saturated)
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(out);
    expect(summary.saturated).toBe(true);
    const reasons = summary.saturation?.reasons ?? [];
    const runner = reasons.filter((r) => r.process === 'runner-1');
    expect(runner.length, JSON.stringify(reasons)).toBeGreaterThan(0);
    expect(runner.every((r) => r.measure === 'cpu_pct' || r.measure === 'loop_delay_ms')).toBe(true);
    for (const r of reasons) {
      expect(r.overShare).toBeGreaterThan(0.1);
      expect(r.overMs).toBeGreaterThanOrEqual(2000);
      expect(r.worst).toBeGreaterThan(r.line);
      expect(r.text).toContain(r.process);
    }
    expect(summary.saturation?.lines).toMatchObject({
      cpuPct: 85,
      loopDelayMs: 20,
      machineCpuPct: 90,
      machineStealPct: 10,
      share: 0.1,
    });
    // judged over the measured window only: the 6 s hold gives 6 or 7 samples, the drain's ~3 s are not counted
    const samples = summary.processes['runner-1']?.samples ?? 0;
    expect(samples).toBeGreaterThanOrEqual(5);
    expect(samples).toBeLessThanOrEqual(7);
    expect(summary.processes['runner-1']?.loopDelayP99MsMax).toBeGreaterThan(0);
    expect((summary.metrics['loop_delay_ms'] as { count: number }).count).toBeGreaterThan(0);
    expect((summary.metrics['machine_cpu_pct'] as { count: number }).count).toBeGreaterThan(0);
    // the console: the live flag names what crossed, the end lists each reason
    expect(result.stderr).toMatch(/SATURATED \(.*runner-1 (cpu_pct|loop_delay_ms)/);
    expect(result.stdout).toContain('WARNING: the load generator was saturated');
    for (const r of reasons) expect(result.stdout).toContain(`SATURATED  ${r.text}`);
    // report.html: the banner lists the reasons
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('id="saturated"');
    for (const r of reasons) expect(html).toContain(escapeHtml(r.text));
    // junit.xml: a failing test case a CI sees
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<testcase classname="glassbench.validity" name="load generator not saturated"><failure message="[^"]*runner-1/,
    );
    expect(junit).toContain('failures="1"');
  }, 180_000);

  it('capacity stops at the step whose generator saturated and reports the harness limit, not a knee', async () => {
    const dir = await tempDir();
    // one call: 1 encoded publisher at 60 fps + 99 subscribers = 100 peers, one runner per call (capacity gives a
    // runner per 100 peers). 2 calls: the SFU forwards 12000 frames a second, two runners receive 6000 each and
    // the harness joins them all: more than this machine's 2 cores, far over the machine line before any
    // threshold fails (1 call may or may not cross a line, depending on what else runs here)
    const scenario = await writeScenario(
      dir,
      'cap.yaml',
      `name: harness-limit
duration: 6s
runners: 1
peers:
  - { role: publisher, count: 1, video: { source: encoded, fps: 60 } }
  - { role: subscriber, count: 99 }
thresholds:
  frame_latency_ms: ["p(95)<60000"]
`,
    );
    const out = join(dir, 'out');
    const result = await runCli(
      ['capacity', scenario, '--start', '1', '--step', '1', '--max', '4', '--step-duration', '6s', '--out', out],
      { timeoutMs: 300_000 },
    );
    // no threshold failed: exit 0, with the harness limit said (docs/outputs.md, "CI gating: saturation and
    // bottleneck")
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(out);
    const capacity = summary.capacity;
    const limit = capacity?.harnessLimit;
    expect(limit, JSON.stringify(capacity?.steps)).toBeDefined();
    expect(capacity?.knee).toBeNull();
    expect(capacity?.firstFailure).toBeNull();
    // the search stopped at the saturated step: nothing above it was measured, everything below passed unsaturated
    const steps = capacity?.steps ?? [];
    expect(steps.at(-1)).toMatchObject({ calls: limit?.calls, saturated: true });
    for (const step of steps.slice(0, -1)) expect(step).toMatchObject({ passed: true, saturated: false });
    expect(limit?.lastPass).toBe(steps.length > 1 ? steps.at(-2)?.calls : null);
    expect(limit?.reasons.length).toBeGreaterThan(0);
    expect(summary.saturated).toBe(true);
    expect(summary.saturation?.reasons).toEqual(limit?.reasons);
    expect(result.stdout).toContain(`capacity: harness limit at ${limit?.calls} concurrent call(s)`);
    expect(summary.notes.join('\n')).toContain(
      `the load generator saturated at ${limit?.calls} call(s) before any threshold failed`,
    );
    expect(summary.notes.join('\n')).toMatch(/runners|--shard/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('id="harness-limit"');
    expect(html).not.toContain('id="knee"');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain(
      '<testcase classname="glassbench.validity" name="load generator not saturated"><failure',
    );
  }, 320_000);
});
