/**
 * The InfluxDB sink against real servers: Debian's influxd 1.6 (v1 `/write?db=`), VictoriaMetrics for the
 * v2 write API (`/api/v2/write`), and an influxd killed in the middle of a run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { nowMs, sleep } from '../../src/metrics/clock.js';
import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { expectAccountingHolds, readFrames, runCli, tempDir } from '../fixtures/cli.js';
import {
  createDatabase,
  influxQuery,
  type ServerHandle,
  startInfluxd,
  startVictoriaMetrics,
} from '../fixtures/influxdb.js';
import { requireBinary } from '../fixtures/system.js';

const scenario = (duration: string): ReturnType<typeof scenarioFromText> =>
  scenarioFromText(`name: influx-check
duration: ${duration}
peers:
  - { role: publisher, count: 1, video: { bitrateKbps: 300, fps: 15 } }
  - { role: subscriber, count: 2 }
thresholds:
  frame_latency_ms: ["p(95)<400"]
`);

describe('InfluxDB sink', () => {
  const servers: ServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('writes frame and summary points to InfluxDB 1.x with the tags and fields of the design', async () => {
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const dir = await tempDir();
    const { summary } = await runScenario({
      scenario: scenario('3s'),
      runId: 'influx-v1-test',
      outDir: join(dir, 'out'),
      influx: { url: influx.url, db: 'glassbench' },
    });
    const received = readFrames(join(dir, 'out')).length; // every frame record, warm-up ones included
    expect(received).toBeGreaterThan(50);
    expect(summary.influx).toMatchObject({ pointsPending: 0, warnings: [] });
    expectAccountingHolds(summary);

    const counted = await influxQuery(
      influx.url,
      'glassbench',
      `SELECT count(frame_latency_ms) FROM frame WHERE testid = 'influx-v1-test'`,
    );
    expect(counted[0]?.values[0]?.[1]).toBe(received);
    const tagKeys = (await influxQuery(influx.url, 'glassbench', 'SHOW TAG KEYS FROM frame'))[0]?.values.map(
      (v) => v[0],
    );
    expect(tagKeys?.sort()).toEqual(['peer_kind', 'placement', 'scenario', 'testid']);
    const fieldKeys = new Set(
      (await influxQuery(influx.url, 'glassbench', 'SHOW FIELD KEYS FROM frame'))[0]?.values.map((v) => v[0]),
    );
    for (const field of [
      'frame_id',
      'publisher',
      'subscriber',
      'room',
      'frame_latency_ms',
      'uplink_ms',
      'sfu_ms',
      'downlink_ms',
      'capture_ms',
      'received_ms',
    ]) {
      expect(fieldKeys.has(field)).toBe(true);
    }
    const p50 = await influxQuery(
      influx.url,
      'glassbench',
      `SELECT p50 FROM summary WHERE testid = 'influx-v1-test' AND metric = 'frame_latency_ms'`,
    );
    expect(p50[0]?.values[0]?.[1]).toBeCloseTo((summary.metrics['frame_latency_ms'] as { p50: number }).p50, 3);
    // microsecond precision: received_ms survives to well under a millisecond
    const one = await influxQuery(
      influx.url,
      'glassbench',
      `SELECT received_ms FROM frame WHERE testid = 'influx-v1-test' LIMIT 1`,
    );
    const [time, receivedMs] = one[0]?.values[0] as [string, number];
    expect(Math.abs(Date.parse(time) - receivedMs)).toBeLessThan(1);
  });

  it('writes through the v2 write API (VictoriaMetrics) and the points can be read back', async () => {
    const vm = await startVictoriaMetrics();
    servers.push(vm);
    const dir = await tempDir();
    const { summary } = await runScenario({
      scenario: scenario('3s'),
      runId: 'influx-v2-test',
      outDir: join(dir, 'out'),
      influx: { url: vm.url, org: 'glassbench', bucket: 'glassbench', token: 'unused' },
    });
    const received = readFrames(join(dir, 'out')).length;
    expect(summary.influx).toMatchObject({ pointsPending: 0 });
    await fetch(`${vm.url}/internal/force_flush`);
    const exported = await (
      await fetch(
        `${vm.url}/api/v1/export?match[]=${encodeURIComponent('frame_frame_latency_ms{testid="influx-v2-test"}')}`,
      )
    ).text();
    const series = exported
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[] });
    expect(series.reduce((n, s) => n + s.values.length, 0)).toBe(received);
    expect(series[0]?.metric).toMatchObject({
      testid: 'influx-v2-test',
      scenario: 'influx-check',
      placement: 'none',
      peer_kind: 'synthetic',
    });
  });

  it('keeps exactly the unsent points in influx-pending.lp when InfluxDB dies mid-run', async () => {
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const dir = await tempDir();
    const out = join(dir, 'out');
    const warnings: string[] = [];
    const started = nowMs();
    const running = runScenario({
      scenario: scenario('8s'),
      runId: 'influx-fault-test',
      outDir: out,
      influx: { url: influx.url, db: 'glassbench' },
      onEvent: (e) => {
        if (e.type === 'warning') warnings.push(e.message);
      },
    });
    // Kill the server between batches, not while one is in flight: a write cut off after the server stored
    // it but before its answer reached the sink would be both in the server and pending.
    await sleep(Math.max(0, 5000 - (nowMs() - started)));
    const countFrames = async (): Promise<number> =>
      Number(
        (
          await influxQuery(
            influx.url,
            'glassbench',
            `SELECT count(received_ms) FROM frame WHERE testid = 'influx-fault-test'`,
          )
        )[0]?.values[0]?.[1] ?? 0,
      );
    const before = await countFrames();
    while ((await countFrames()) === before) await sleep(10);
    // the batch is stored; give the sink time to read the server's answer (batches go out once a second)
    await sleep(300);
    await influx.kill();
    const { summary } = await running;
    expect(summary.status).toBe('passed');
    expect(warnings.some((w) => w.includes('influx-pending.lp'))).toBe(true);
    expect(summary.faults?.[0]?.what).toMatch(/InfluxDB write to .* failed/);
    expect(summary.faults?.[0]?.cost).toContain('report --push-influx');
    const written = summary.influx?.pointsWritten ?? 0;
    const pending = summary.influx?.pointsPending ?? 0;
    expect(written).toBeGreaterThan(0);
    expect(pending).toBeGreaterThan(0);
    const pendingLines = readFileSync(join(out, 'influx-pending.lp'), 'utf8').trim().split('\n');
    expect(pendingLines).toHaveLength(pending);

    // the restarted server holds the written points; together with the pending file, that is every point
    const restarted = await startInfluxd(influx.dataDir);
    servers.push(restarted);
    const framesInDb =
      (
        await influxQuery(
          restarted.url,
          'glassbench',
          `SELECT count(received_ms) FROM frame WHERE testid = 'influx-fault-test'`,
        )
      )[0]?.values[0]?.[1] ?? 0;
    const framesPending = pendingLines.filter((l) => l.startsWith('frame,')).length;
    expect(Number(framesInDb) + framesPending).toBe(readFrames(out).length);
    // every summary point has a `saturated` field, so counting it counts the points
    const summaryInDb =
      (
        await influxQuery(
          restarted.url,
          'glassbench',
          `SELECT count(saturated) FROM summary WHERE testid = 'influx-fault-test'`,
        )
      )[0]?.values[0]?.[1] ?? 0;
    // synthetic receivers' per-second stats (packet loss) go to the webrtc measurement; nack_count is in every point
    const statsInDb =
      (
        await influxQuery(
          restarted.url,
          'glassbench',
          `SELECT count(nack_count) FROM webrtc WHERE testid = 'influx-fault-test'`,
        )
      )[0]?.values[0]?.[1] ?? 0;
    expect(Number(statsInDb)).toBeGreaterThan(0);
    // each process's resources per second (cpu_pct), and the machine's (machine_cpu_pct)
    const countResources = async (field: string): Promise<number> =>
      Number(
        (
          await influxQuery(
            restarted.url,
            'glassbench',
            `SELECT count(${field}) FROM resources WHERE testid = 'influx-fault-test'`,
          )
        )[0]?.values[0]?.[1] ?? 0,
      );
    const resourcesInDb = (await countResources('cpu_pct')) + (await countResources('machine_cpu_pct'));
    // the run's end: one accounting point and one point per process (with the summary, so usually pending here)
    const countOf = async (query: string): Promise<number> =>
      Number((await influxQuery(restarted.url, 'glassbench', query))[0]?.values[0]?.[1] ?? 0);
    const endInDb =
      (await countOf(`SELECT count(expected) FROM accounting WHERE testid = 'influx-fault-test'`)) +
      (await countOf(`SELECT count(samples) FROM process WHERE testid = 'influx-fault-test'`));
    expect(Number(framesInDb) + Number(summaryInDb) + Number(statsInDb) + resourcesInDb + endInDb).toBe(written);

    // nothing lost: the kept points go to the server later, and then every frame of the file is there
    const pushed = await runCli([
      'report',
      '--push-influx',
      out,
      '--influx-url',
      restarted.url,
      '--influx-db',
      'glassbench',
    ]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`push-influx: ${pending} points sent`);
    expect(existsSync(join(out, 'influx-pending.lp'))).toBe(false);
    const framesAfter =
      (
        await influxQuery(
          restarted.url,
          'glassbench',
          `SELECT count(received_ms) FROM frame WHERE testid = 'influx-fault-test'`,
        )
      )[0]?.values[0]?.[1] ?? 0;
    expect(Number(framesAfter)).toBe(readFrames(out).length);
    const again = await runCli([
      'report',
      '--push-influx',
      out,
      '--influx-url',
      restarted.url,
      '--influx-db',
      'glassbench',
    ]);
    expect(again.code).toBe(104);
    expect(again.stderr).toContain('no points are pending for this run');
  });

  it('writes the webrtc measurement (per browser receiver per second)', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const dir = await tempDir();
    const browserPair = scenarioFromText(`name: influx-webrtc
duration: 3s
peers:
  - { role: publisher, kind: browser, count: 1 }
  - { role: subscriber, kind: browser, count: 1 }
`);
    await runScenario({
      scenario: browserPair,
      runId: 'influx-webrtc-test',
      outDir: join(dir, 'out'),
      influx: { url: influx.url, db: 'glassbench' },
    });
    const counted = await influxQuery(
      influx.url,
      'glassbench',
      `SELECT count(bitrate_kbps) FROM webrtc WHERE testid = 'influx-webrtc-test'`,
    );
    expect(Number(counted[0]?.values[0]?.[1])).toBeGreaterThanOrEqual(2);
    const tagKeys = (await influxQuery(influx.url, 'glassbench', 'SHOW TAG KEYS FROM webrtc'))[0]?.values.map(
      (v) => v[0],
    );
    expect(tagKeys?.sort()).toEqual(['peer_kind', 'placement', 'scenario', 'testid']);
    const peers = await influxQuery(
      influx.url,
      'glassbench',
      `SELECT peer, room FROM webrtc WHERE testid = 'influx-webrtc-test' LIMIT 1`,
    );
    expect(peers[0]?.values[0]?.slice(1)).toEqual(['r1-sub-1', 'r1']);
  });

  it('writes the speech measurement (translation chain: one point per utterance per receiver), as in frames.ndjson.gz', async () => {
    requireBinary(process.env['CHROME_PATH'] ?? '/usr/bin/chromium', 'chromium');
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const dir = await tempDir();
    const translate = scenarioFromText(`name: influx-speech
duration: 9s
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 320, height: 180, fps: 15, bitrateKbps: 300 }, audio: { utterances: true, interval: 4s } }
  - { role: subscriber, kind: synthetic, count: 1 }
ai: { placement: cloud, speech: { asr: { synthetic: 200ms }, mt: { synthetic: 50ms }, tts: { synthetic: 30ms }, output: both } }
`);
    const { summary } = await runScenario({
      scenario: translate,
      runId: 'influx-speech-test',
      outDir: join(dir, 'out'),
      influx: { url: influx.url, db: 'glassbench' },
    });
    expect(summary.influx).toMatchObject({ pointsPending: 0, warnings: [] });
    const lines = readFrames(join(dir, 'out')).filter((r) => r['kind'] === 'speech');
    const heard = lines.filter((r) => r['s2sLatencyMs'] !== undefined);
    expect(heard.length).toBeGreaterThanOrEqual(1);
    const count = async (field: string): Promise<number> =>
      Number(
        (
          await influxQuery(
            influx.url,
            'glassbench',
            `SELECT count(${field}) FROM speech WHERE testid = 'influx-speech-test'`,
          )
        )[0]?.values[0]?.[1] ?? 0,
      );
    expect(await count('asr_ms')).toBe(lines.length);
    expect(await count('s2s_latency_ms')).toBe(heard.length);
    expect(await count('subtitle_latency_ms')).toBe(lines.filter((r) => r['subtitleLatencyMs'] !== undefined).length);
    const one = await influxQuery(
      influx.url,
      'glassbench',
      `SELECT utterance, subscriber, s2s_latency_ms FROM speech WHERE testid = 'influx-speech-test' AND s2s_latency_ms > 0 LIMIT 1`,
    );
    const [, utterance, subscriber, s2s] = one[0]?.values[0] as [string, string, string, number];
    expect(subscriber).toBe('r1-sub-1');
    expect(heard.find((r) => r['utterance'] === utterance)?.['s2sLatencyMs']).toBeCloseTo(s2s, 3);
  });
});
