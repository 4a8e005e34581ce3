/** The CLI as a user runs it: real reference SFU, real werift peers in peer runners, real exit codes. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { afterEach, describe, expect, it } from 'vitest';

import { CLI, readFrames, readSummary, runCli, startCli, tempDir, writeScenario } from '../fixtures/cli.js';
import { waitForSfu } from '../fixtures/sfu-cli.js';
import { glassbenchChildPids } from '../fixtures/system.js';

const SHORT = (extra = '', duration = '3s'): string => `name: cli-short
duration: ${duration}
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300 } }
  - { role: subscriber, count: 2 }
${extra}`;

describe('glassbench run', () => {
  afterEach(() => {
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('runs a scenario, prints progress and the summary, writes the three files and exits 0', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'ok.yaml', SHORT('thresholds:\n  frame_latency_ms: ["p(95)<400"]\n'));
    const out = join(dir, 'out');
    const result = await runCli(['run', scenario, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /3\.0s\/3\.0s {2}peers 3\/3 {2}\d+ frames\/s {2}frame_latency p95 [\d.]+ ms \(budget 400 ms\)/,
    );
    expect(result.stdout).toMatch(/frame_latency_ms\s+\d+/);
    expect(result.stdout).toContain('PASS  frame_latency_ms p(95)<400');
    expect(result.stdout).toContain('status: passed');
    const summary = readSummary(out);
    // the version and the commit the build was made from (dist/build-info.json), as --version prints them
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(
      `glassbench ${summary.environment.glassbenchVersion} (commit ${summary.environment.glassbenchCommit})`,
    );
    // git's short HEAD in a checkout; "unknown" where the build could not tell (no .git, GLASSBENCH_COMMIT unset)
    expect(summary.environment.glassbenchCommit).toMatch(/^([0-9a-f]{12}(-dirty)?|unknown)$/);
    expect(summary).toMatchObject({
      schemaVersion: 1,
      status: 'passed',
      saturated: false,
      peers: { planned: 3, connected: 3, failed: [] },
    });
    expect(summary.thresholds['frame_latency_ms']?.[0]).toMatchObject({ expr: 'p(95)<400', ok: true });
    const latency = summary.metrics['frame_latency_ms'] as { count: number; p50: number };
    expect(latency.count).toBeGreaterThan(100);
    // every frame sent in the measured window is, for each of the 2 subscribers, either received or lost
    const count = (name: string): number => (summary.metrics[name] as { count: number }).count;
    expect(count('frames_received') + count('frames_lost')).toBe(2 * count('frames_sent'));
    const frames = readFrames(out);
    // frames from the connection phase are recorded too, marked warmup and kept out of the metrics
    expect(frames.filter((f) => f['warmup'] !== true)).toHaveLength(count('frames_received'));
    expect(frames[0]).toHaveProperty('frameLatencyMs');
    expect(frames[0]).toHaveProperty('sfuMs');
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain(
      '<testcase classname="glassbench.thresholds" name="frame_latency_ms p(95)&lt;400">',
    );
  });

  it('exits 99 and names the threshold that failed', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'tight.yaml',
      SHORT('thresholds:\n  frame_latency_ms: ["p(50)<0.001", "max<5000"]\n', '2s'),
    );
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')]);
    expect(result.code).toBe(99);
    expect(result.stderr).toContain('thresholds failed: frame_latency_ms p(50)<0.001');
    expect(result.stdout).toContain('FAIL  frame_latency_ms p(50)<0.001');
    expect(result.stdout).toContain('PASS  frame_latency_ms max<5000');
    expect(readSummary(join(dir, 'out')).status).toBe('failed');
    expect(readFileSync(join(dir, 'out', 'junit.xml'), 'utf8')).toContain(
      '<failure message="frame_latency_ms p(50)&lt;0.001',
    );
  });

  it('exits 104 with file:line:col messages for a broken scenario, and writes nothing', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(
      dir,
      'broken.yaml',
      'name: broken\nduration: 3 seconds\npeers:\n  - { role: publisher, count: 0 }\n',
    );
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')]);
    expect(result.code).toBe(104);
    expect(result.stderr).toContain(`${scenario}:2:11 duration: must be a duration`);
    expect(result.stderr).toContain(`${scenario}:4:31 peers[0].count: must be >= 1, got 0`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('exits 104 for an unknown metric in a threshold', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'typo.yaml', SHORT('thresholds:\n  frame_latency: ["p(95)<400"]\n'));
    const result = await runCli(['validate', scenario]);
    expect(result.code).toBe(104);
    expect(result.stderr).toContain(`${scenario}:7:3 thresholds.frame_latency: unknown metric "frame_latency"`);
  });

  it('exits 104 for bad flags and 0 for a valid scenario', async () => {
    expect((await runCli(['run', 'scenarios/smoke.yaml', '--influx-db', 'x'])).code).toBe(104);
    expect((await runCli(['run', 'scenarios/smoke.yaml', '--no-such-flag'])).code).toBe(104);
    expect((await runCli(['frobnicate'])).code).toBe(104);
    expect((await runCli(['run', 'scenarios/missing.yaml'])).code).toBe(104);
    const valid = await runCli(['validate', 'scenarios/smoke.yaml']);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('valid');
  });

  it('on Ctrl-C drains, writes a partial report marked aborted and exits 105', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'long.yaml', SHORT('', '60s'));
    const out = join(dir, 'out');
    const run = startCli(['run', scenario, '--out', out]);
    await run.waitForProgress(2);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(105);
    const summary = readSummary(out);
    expect(summary.status).toBe('aborted');
    expect(summary.error).toMatchObject({ message: 'interrupted by SIGINT (Ctrl-C)', signal: 'SIGINT' });
    expect((summary.metrics['frame_latency_ms'] as { count: number }).count).toBeGreaterThan(50);
    expect(gunzipSync(readFileSync(join(out, 'frames.ndjson.gz'))).length).toBeGreaterThan(0);
  });

  it('SIGTERM to the process group drains: exit 105, aborted, the signal named, no runner recorded as a fault', async () => {
    const dir = await tempDir();
    const scenario = await writeScenario(dir, 'term.yaml', SHORT('runners: 2\n', '60s'));
    const out = join(dir, 'out');
    const run = startCli(['run', scenario, '--out', out], { group: true });
    await run.waitForProgress(2);
    // what `kill -TERM -<pgid>` and an orchestrator stopping the run do: the harness, its runners and the SFU
    // all get the signal at once
    process.kill(-(run.child.pid as number), 'SIGTERM');
    expect(await run.exit).toBe(105);
    expect(run.stderr()).toContain('SIGTERM: draining and writing a partial report');
    const summary = readSummary(out);
    expect(summary.status).toBe('aborted');
    expect(summary.error).toEqual({ code: 'ABORTED', message: 'interrupted by SIGTERM', signal: 'SIGTERM' });
    expect(summary.faults ?? []).toEqual([]);
    expect(summary.peers.failed).toEqual([]);
    expect(run.stderr()).not.toContain('exited unexpectedly');
    // the drain waited for the frames in flight: the SFU and the runners were there until the harness closed them
    expect((summary.metrics['frame_latency_ms'] as { count: number }).count).toBeGreaterThan(50);
    expect(glassbenchChildPids()).toEqual([]);
  });

  it('SIGTERM while peers are still connecting ends the run at once: no waiting for connectTimeout, no fault', async () => {
    // a stand-in for an SFU whose WHEP endpoint hangs (a real one cannot be made to on demand): it takes the
    // connection and never answers. The WHIP side, its clock and telemetry are a real `glassbench sfu`
    const hung = createServer(() => undefined);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const sfu = await waitForSfu(
      spawn(process.execPath, [CLI, 'sfu', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    try {
      const dir = await tempDir();
      const hungPort = (hung.address() as AddressInfo).port;
      const scenario = await writeScenario(
        dir,
        'hung.yaml',
        SHORT(
          `connectTimeout: 60s\ntarget: { whip: "${sfu.baseUrl}/whip/{room}", whep: "http://127.0.0.1:${hungPort}/whep/{room}" }\n`,
          '10s',
        ),
      );
      const out = join(dir, 'out');
      const run = startCli(['run', scenario, '--out', out], { group: true });
      await run.waitFor(/\[connecting\]/);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const signalledMs = Date.now();
      process.kill(-(run.child.pid as number), 'SIGTERM');
      expect(await run.exit).toBe(105);
      // not the 60 s connectTimeout, nor the 30 s the runners wait for the harness before they stop themselves
      expect(Date.now() - signalledMs, run.stderr()).toBeLessThan(20_000);
      const summary = readSummary(out);
      expect(summary.error).toEqual({ code: 'ABORTED', message: 'interrupted by SIGTERM', signal: 'SIGTERM' });
      expect(summary.faults ?? []).toEqual([]);
      expect(summary.peers).toMatchObject({ planned: 3, connected: 1, failed: [] });
      expect(run.stderr()).not.toContain('exited unexpectedly');
    } finally {
      await sfu.stop();
      hung.close();
    }
  }, 60_000);

  it('glassbench sfu serves on loopback until Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'sfu', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const url = await new Promise<string>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
    });
    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', rooms: 0, sessions: 0 });
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('glassbench_sfu_sessions');
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  });

  it('stops early on a failed abortOnFail threshold and exits 99 with a partial report', async () => {
    const dir = await tempDir();
    const thresholds =
      'thresholds:\n  frame_latency_ms: [{ threshold: "max<0.001", abortOnFail: true, delayAbortEval: 1s }]\n';
    const scenario = await writeScenario(dir, 'abort.yaml', SHORT(thresholds, '60s'));
    const result = await runCli(['run', scenario, '--out', join(dir, 'out')], { timeoutMs: 40_000 });
    expect(result.code).toBe(99);
    const summary = readSummary(join(dir, 'out'));
    expect(summary.status).toBe('aborted');
    expect(summary.error).toMatchObject({ code: 'THRESHOLD_FAILED' });
    expect(summary.error?.message).toContain('frame_latency_ms max<0.001 failed');
    expect(summary.durationMs).toBeLessThan(20_000);
    expect(summary.thresholds['frame_latency_ms']?.[0]).toMatchObject({ ok: false, abortOnFail: true });
  });
});
