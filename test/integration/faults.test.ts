/**
 * Faults during a run, through the CLI as a user meets them: a peer runner killed (-9) is detected and recorded
 * with its peers and the run goes on; the SFU killed ends the run with exit 107 and a complete partial report,
 * never a hang; hostile scenario files end in 104. (A browser killed: browser.test.ts; the AI worker killed:
 * ai-hook.test.ts; InfluxDB killed: influx.test.ts; Ctrl-C: cli-run.test.ts and network.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { childPidsRunning } from '../../src/metrics/process-tree.js';
import {
  type BackgroundRun,
  readFrames,
  readSummary,
  runCli,
  startCli,
  tempDir,
  writeScenario,
} from '../fixtures/cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const SCENARIO = (duration: string): string => `name: faults
duration: ${duration}
runners: 2
peers:
  - { role: publisher, count: 1, video: { fps: 20, bitrateKbps: 300 } }
  - { role: subscriber, count: 3 }
`;

/** `glassbench run` of SCENARIO (a hold of `seconds`) in the background, once it is 2 s into its hold. */
async function twoSecondsIn(seconds: number): Promise<{ run: BackgroundRun; out: string }> {
  const dir = await tempDir();
  const out = join(dir, 'out');
  const run = startCli(['run', await writeScenario(dir, 'faults.yaml', SCENARIO(`${seconds}s`)), '--out', out]);
  await run.waitForProgress(2);
  return { run, out };
}

describe('faults during a run', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('a peer runner killed with -9 is recorded with its peers and the run goes on (exit 0)', async () => {
    const { run, out } = await twoSecondsIn(6);
    // runners are forked in order: the second holds subscribers 1 and 3 (the publisher is on the first)
    const runners = childPidsRunning(run.child.pid, 'runner-process.js');
    expect(runners).toHaveLength(2);
    process.kill(runners[1] as number, 'SIGKILL');
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toMatch(/warning: runner-2 \(pid \d+\) exited unexpectedly \(killed by a signal\)/);
    const summary = readSummary(out);
    expect(summary.status).toBe('passed');
    expect(summary.faults).toHaveLength(1);
    expect(summary.faults?.[0]).toMatchObject({
      what: `runner-2 (pid ${runners[1]}) exited unexpectedly (killed by a signal)`,
      peers: ['r1-sub-1', 'r1-sub-3'],
      fatal: false,
    });
    expect(summary.faults?.[0]?.cost).toBe('2 peer(s) left the run: r1-sub-1, r1-sub-3');
    expect(summary.peers.failed.map((f) => f.peer).sort()).toEqual(['r1-sub-1', 'r1-sub-3']);
    // frames after the kill are not expected at the dead subscribers (not counted lost); the other one got them all
    const count = (m: string): number => (summary.metrics[m] as { count: number }).count;
    expect(count('frames_lost')).toBeLessThanOrEqual(2 * 20 * 1); // at most the loss window of frames in flight
    expect(
      readFrames(out).filter((f) => f['subscriber'] === 'r1-sub-2' && f['warmup'] !== true).length,
    ).toBeGreaterThanOrEqual(count('frames_sent') - 2);
    expect(summary.notes.some((n) => n.startsWith('fault at '))).toBe(true);
  }, 60_000);

  it('the SFU killed mid-run ends the run with exit 107 and a complete partial report', async () => {
    const { run, out } = await twoSecondsIn(30);
    const sfu = childPidsRunning(run.child.pid, 'reference-server/main.js');
    expect(sfu).toHaveLength(1);
    process.kill(sfu[0] as number, 'SIGKILL');
    expect(await run.exit).toBe(107);
    const summary = readSummary(out);
    expect(summary.status).toBe('error');
    expect(summary.error?.message).toMatch(/the reference SFU exited unexpectedly \(killed by SIGKILL\)/);
    expect(summary.faults?.[0]).toMatchObject({ fatal: true });
    expect(summary.faults?.[0]?.cost).toMatch(
      /the run ended 2\d\.\d s before its measured time was over; 4 peer\(s\) were connected/,
    );
    // the partial report: frames up to the kill, junit with the error, report.html
    expect(readFrames(out).length).toBeGreaterThan(50);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('<error');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    // it ended within seconds of the kill, not at the end of its 30 s
    expect(summary.durationMs).toBeLessThan(20_000);
  }, 60_000);

  it('hostile scenario files end in exit 104 with a located message, through the CLI', async () => {
    const dir = await tempDir();
    const files = {
      bomb: [
        'a: &a ["x","x","x","x","x","x","x","x"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c]',
        'name: bomb',
      ].join('\n'),
      deep: `name: deep\nduration: 1s\npeers: ${'['.repeat(3000)}${']'.repeat(3000)}`,
      typo: 'name: t\nduraton: 1s\npeers: [{ role: publisher, count: 1 }]',
      types: 'name: [1]\nduration: {}\nrooms: "many"\npeers: 7',
    };
    for (const [name, text] of Object.entries(files)) {
      const result = await runCli(['validate', await writeScenario(dir, `${name}.yaml`, text)]);
      expect(result.code, `${name}: ${result.stderr}`).toBe(104);
      expect(result.stderr).toMatch(new RegExp(`${name}\\.yaml:\\d+:\\d+ `));
    }
  });
});
