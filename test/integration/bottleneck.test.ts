/**
 * The system under test, named (issue 14, acceptance 2), with the real SFU and real werift peers:
 * - `sfu.burnCpuMsPerFrame` 25 with two 30 fps publishers asks the SFU for 1.5 cores: the run stays valid
 *   (`saturated: false`, a light generator) and `summary.bottleneck` names the SFU, on the console and in
 *   report.html;
 * - a 60 ms model behind one worker at 30 fps names the AI workers;
 * - a burn the SFU keeps up with (10 ms per frame, one publisher) shows up where it is spent: median `sfu_ms`
 *   +10 +/- 2 ms against the same run without it, median `uplink_ms` within 2 ms. The runs alternate (without,
 *   with, without, with) and the medians pool their frames, so a burst of load from elsewhere on this shared
 *   machine lands on both sides.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { TrendSummary } from '../../src/metrics/histogram.js';
import { saturationBrief } from '../../src/metrics/saturation.js';
import type { RunSummary } from '../../src/report/summary.js';
import { readFrames, readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function run(
  name: string,
  text: string,
): Promise<{ code: number | null; stdout: string; summary: RunSummary; outDir: string }> {
  const dir = await tempDir();
  const path = await writeScenario(dir, `${name}.yaml`, text);
  const outDir = join(dir, 'out');
  const result = await runCli(['run', path, '--out', outDir], { timeoutMs: 90_000 });
  const summary = readSummary(outDir);
  return { code: result.code, stdout: result.stdout, summary, outDir };
}

describe('the system under test, named', () => {
  it('names the SFU as the bottleneck when it cannot keep up with two publishers, and the run stays valid', async () => {
    const { code, stdout, summary, outDir } = await run(
      'burn',
      `name: sfu-bottleneck
duration: 8s
rooms: 2
# the starved SFU is slow to finish DTLS with the second room's peers
connectTimeout: 30s
# one SFU process: the judge of a multi-worker SFU is the unit tests' (each worker would burn for one room only)
sfu: { burnCpuMsPerFrame: 25, workers: 1 }
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 1 }
`,
    );
    process.stdout.write(
      `burn 25 ms, 2 publishers: bottleneck ${JSON.stringify(summary.bottleneck)}, saturated ${summary.saturated}, processes ${JSON.stringify(summary.processes)}\n`,
    );
    expect(code).toBe(0);
    expect(summary.scenario.burnCpuMsPerFrame).toBe(25);
    expect(summary.bottleneck?.process).toBe('sfu');
    // on this shared machine the SFU gets what CPU the others leave it: its starved event loop always shows
    expect(summary.bottleneck?.reason).toMatch(
      /event-loop delay p99 \d+ ms \(median second, worst \d+ ms\), over 50 ms in \d+% of the window/,
    );
    expect(summary.saturated).toBe(false);
    // the SFU's starved event loop is measured beside the stages, second by second (a second's p99 can read low
    // when the loop drained its backlog and idled: the monitor samples per turn of the loop, not per ms)
    expect((summary.metrics['sfu_loop_delay_ms'] as TrendSummary).max).toBeGreaterThan(200);
    expect(summary.sfu?.seconds?.length).toBeGreaterThanOrEqual(5);
    expect(stdout).toContain('BOTTLENECK: the reference SFU could not keep up');
    expect(summary.notes.some((n) => n.startsWith('bottleneck: the reference SFU could not keep up'))).toBe(true);
    const html = await readFile(join(outDir, 'report.html'), 'utf8');
    expect(html).toContain('id="bottleneck"');
    expect(html).toContain('<b>Bottleneck: the reference SFU</b> could not keep up');
    expect(html).toContain('id="stage-time"');
    expect(html).toContain('"sfuLoopDelayMs":[[');
  }, 120_000);

  it('names the AI workers when the hook cannot keep up (a 60 ms model, one worker, 30 fps)', async () => {
    const { code, stdout, summary } = await run(
      'ai',
      `name: ai-bottleneck
duration: 6s
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 1 }
ai:
  stages: [ { name: inference, model: { synthetic: { fixedMs: 60 } } } ]
  workers: 1
`,
    );
    expect(code).toBe(0);
    expect(summary.saturated).toBe(false);
    expect(summary.bottleneck).toBeDefined();
    // the simulated device is busy by the clock; on a loaded machine a second can still fall under 95% (the SFU's
    // event loop late to hand it the next call), so most of the window, not all of it
    const note = summary.notes.find((n) => n.startsWith("bottleneck: the SFU's AI workers could not keep up"));
    const busy =
      /device sim0 95% busy or more in (\d+)% of the window; \d+ of \d+ frames dropped by the drop-oldest queue \(max 4\)/.exec(
        note ?? '',
      );
    expect(busy, note).not.toBeNull();
    expect(Number(busy?.[1])).toBeGreaterThanOrEqual(50);
    expect(stdout).toContain("note: bottleneck: the SFU's AI workers could not keep up");
  }, 120_000);

  it('books a burn the SFU keeps up with as sfu_ms (+10 +/- 2 ms), not as uplink_ms (within 2 ms)', async () => {
    const pooled = {
      base: { sfu: [] as number[], uplink: [] as number[] },
      burn: { sfu: [] as number[], uplink: [] as number[] },
    };
    for (const side of ['base', 'burn', 'base', 'burn'] as const) {
      const { code, summary, outDir } = await run(
        side,
        `name: sfu-burn-calibration
duration: 8s
sfu: { burnCpuMsPerFrame: ${side === 'burn' ? 10 : 0}, workers: 1 }
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
`,
      );
      expect(code).toBe(0);
      // a saturated run measured the machine, not the burn: say who crossed which line (CPU stolen, say)
      expect(summary.saturated, summary.saturation ? saturationBrief(summary.saturation) : '').toBe(false);
      for (const r of readFrames(outDir)) {
        if (r['warmup'] === true || typeof r['sfuMs'] !== 'number' || typeof r['uplinkMs'] !== 'number') continue;
        pooled[side].sfu.push(r['sfuMs']);
        pooled[side].uplink.push(r['uplinkMs']);
      }
    }
    const sfuShift = median(pooled.burn.sfu) - median(pooled.base.sfu);
    const uplinkShift = median(pooled.burn.uplink) - median(pooled.base.uplink);
    process.stdout.write(
      `burn 10 ms: median sfu_ms ${median(pooled.base.sfu).toFixed(2)} -> ${median(pooled.burn.sfu).toFixed(2)} (+${sfuShift.toFixed(2)}), uplink_ms ${median(pooled.base.uplink).toFixed(2)} -> ${median(pooled.burn.uplink).toFixed(2)} (${uplinkShift.toFixed(2)}); frames ${pooled.base.sfu.length} / ${pooled.burn.sfu.length}\n`,
    );
    expect(pooled.base.sfu.length).toBeGreaterThan(800);
    expect(pooled.burn.sfu.length).toBeGreaterThan(800);
    expect(Math.abs(sfuShift - 10)).toBeLessThanOrEqual(2);
    expect(Math.abs(uplinkShift)).toBeLessThan(2);
  }, 240_000);
});
