/**
 * Executors and capacity, end to end through the CLI: a ramping-peers run whose report shows latency per stage,
 * an arrival-rate run that starts, ends and drops calls on schedule, and `glassbench capacity` finding the same
 * knee twice. Real reference SFU, real werift peers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { RunSummary } from '../../src/report/summary.js';
import { readSummary, runCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const count = (summary: RunSummary, name: string): number =>
  (summary.metrics[name] as { count?: number } | undefined)?.count ?? 0;

describe('load shapes', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('ramping-peers goes 2 -> 20 -> 2 subscribers and reports latency per stage', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'ramp.yaml',
      `name: ramp
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 20 }
executor:
  type: ramping-peers
  startTarget: 2
  stages:
    - { duration: 3s, target: 2 }
    - { duration: 6s, target: 20 }
    - { duration: 3s, target: 20 }
    - { duration: 6s, target: 2 }
    - { duration: 3s, target: 2 }
thresholds:
  frame_latency_ms: ["p(95)<400"]
`,
    );
    const out = join(dir, 'out');
    const result = await runCli(['run', scenario, '--out', out], { timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(out);
    const load = summary.load;
    expect(load?.executor).toBe('ramping-peers');
    const subscribers = load?.timeline.map((t) => t.subscribers) ?? [];
    // about one sample a second over 21 s: 2 at the start, all 20 in the middle, back to 2 at the end
    expect(subscribers.length).toBeGreaterThanOrEqual(19);
    expect(subscribers[0]).toBe(2);
    expect(Math.max(...subscribers)).toBe(20);
    expect(subscribers.at(-1)).toBe(2);
    expect(load?.stages.map((s) => s.label)).toEqual(['hold 2', '2 -> 20', 'hold 20', '20 -> 2', 'hold 2']);
    // latency per stage, from the frames captured in it: more frames where more subscribers watched
    const frames = load?.stages.map((s) => s.latency['frame_latency_ms']?.count ?? 0) ?? [];
    expect(frames.every((n) => n > 0)).toBe(true);
    expect(frames[2]).toBeGreaterThan(frames[0] ?? 0);
    for (const stage of load?.stages ?? []) expect(stage.latency['frame_latency_ms']?.p95).toBeGreaterThan(0);
    // peers that left on schedule are not counted as losing the frames sent after they left
    expect(count(summary, 'frames_lost')).toBeLessThanOrEqual(count(summary, 'frames_received') / 100);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Latency per load stage</h2>');
    expect(html.match(/<tr><td>\d: (hold \d+|\d+ -&gt; \d+)<\/td>/g)).toHaveLength(5);
  }, 120_000);

  it('arrival-rate starts calls on schedule, ends them, and counts the ones over maxCalls as dropped', async () => {
    const dir = await tempDir();
    // calls due at 0, 1, 2, ... s, each lasting 2.5 s, at most 2 at once: every third one finds 2 running
    const scenario = await writeScenario(
      dir,
      'arrival.yaml',
      `name: arrival
duration: 6s
peers:
  - { role: publisher, count: 1, video: { fps: 15, bitrateKbps: 200 } }
  - { role: subscriber, count: 1 }
executor: { type: arrival-rate, rate: 1, timeUnit: 1s, callDuration: 2500ms, maxCalls: 2 }
`,
    );
    const out = join(dir, 'out');
    const result = await runCli(['run', scenario, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const summary = readSummary(out);
    expect(summary.load?.calls).toEqual({ started: 4, dropped: 2 });
    expect(count(summary, 'calls_dropped')).toBe(2);
    const running = summary.load?.timeline.map((t) => t.calls ?? 0) ?? [];
    expect(Math.max(...running)).toBe(2);
    expect(running.every((n) => n <= 2)).toBe(true);
    // frames reached the subscribers of calls started during the hold
    expect(count(summary, 'frames_received')).toBeGreaterThan(100);
    expect(count(summary, 'frames_lost')).toBeLessThanOrEqual(count(summary, 'frames_received') / 100);
  }, 90_000);

  it('capacity finds the knee of a tight budget, and the same knee when run again', async () => {
    const dir = await tempDir();
    const knees: (number | null)[] = [];
    for (const run of [1, 2]) {
      const out = join(dir, `cap${run}`);
      const result = await runCli(
        ['capacity', 'scenarios/capacity.yaml', '--max', '5', '--step-duration', '4s', '--out', out],
        { timeoutMs: 150_000 },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/capacity: knee at \d+ concurrent call\(s\); \d+ call\(s\) failed/);
      const summary = readSummary(out);
      const capacity = summary.capacity;
      expect(capacity?.knee).not.toBeNull();
      expect(capacity?.firstFailure).toBe((capacity?.knee ?? 0) + 1);
      // the curve: every step has its p95 and the SFU's CPU; the failing step broke the AI hook's budget
      for (const step of capacity?.steps ?? []) {
        expect(step.p95['frame_latency_ms']).toBeGreaterThan(0);
        expect(step.sfuCpuPct).toBeGreaterThan(0);
      }
      expect(capacity?.steps.at(-1)?.failedThresholds).toContain('ai_hook_ms p(95)<150');
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="knee"');
      knees.push(capacity?.knee ?? null);
    }
    expect(Math.abs((knees[0] ?? 0) - (knees[1] ?? 0))).toBeLessThanOrEqual(1);
  }, 320_000);
});
