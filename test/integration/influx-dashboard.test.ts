/**
 * The Grafana dashboard (deploy/grafana) against a real influxd 1.6: every panel's query is valid InfluxQL against
 * what a run writes, and the panels of what a run measured find its data, A/V sync and picture quality among them
 * (issue 18: they are frame fields in InfluxDB, as each frame's latency is).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runScenario } from '../../src/orchestrator/runner.js';
import { scenarioFromText } from '../../src/scenario/validate.js';
import { readFrames, tempDir } from '../fixtures/cli.js';
import { createDatabase, influxQuery, type ServerHandle, startInfluxd } from '../fixtures/influxdb.js';

describe('Grafana dashboard', () => {
  const servers: ServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it("the Grafana dashboard's queries are valid InfluxQL against what a run writes, and find its data", async () => {
    const influx = await startInfluxd();
    servers.push(influx);
    await createDatabase(influx.url, 'glassbench');
    const dir = await tempDir();
    // an encoded source with the A/V sync marker and a sampled picture score: what people see and hear goes to
    // InfluxDB as frame fields, as each frame's latency does
    const perceived = scenarioFromText(`name: influx-check
duration: 4s
peers:
  - { role: publisher, count: 1, video: { source: encoded, texture: true, bitrateKbps: 300, fps: 30 }, audio: { sync: true } }
  - { role: subscriber, count: 1, quality: { sampleEvery: 5 } }
`);
    await runScenario({
      scenario: perceived,
      runId: 'influx-dashboard-test',
      outDir: join(dir, 'out'),
      influx: { url: influx.url, db: 'glassbench' },
    });
    const frames = readFrames(join(dir, 'out'));
    const count = async (field: string): Promise<number> =>
      Number(
        (
          await influxQuery(
            influx.url,
            'glassbench',
            `SELECT count(${field}) FROM frame WHERE testid = 'influx-dashboard-test'`,
          )
        )[0]?.values[0]?.[1] ?? 0,
      );
    for (const [field, key] of [
      ['av_sync_ms', 'avSyncMs'],
      ['video_psnr_db', 'videoPsnrDb'],
      ['video_ssim', 'videoSsim'],
    ] as const) {
      const inFile = frames.filter((r) => typeof r[key] === 'number').length;
      expect(inFile, `${key} in frames.ndjson.gz`).toBeGreaterThan(0);
      expect(await count(field), `${field} in InfluxDB`).toBe(inFile);
    }
    const dashboard = JSON.parse(readFileSync('deploy/grafana/glassbench-dashboard.json', 'utf8')) as {
      templating: { list: { name: string; query: string }[] };
      panels: { id: number; title: string; targets: { query: string }[] }[];
    };
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'scenario', 'testid', 'variant']);
    // Grafana's macros and variables, as it would fill them in for this run
    const fill = (q: string): string =>
      q
        .replace(/\$timeFilter/g, 'time > 0')
        .replace(/\$testid/g, 'influx-dashboard-test')
        .replace(/\$scenario/g, 'influx-check')
        .replace(/\$variant/g, '.*');
    const found: Record<number, number> = {};
    for (const panel of dashboard.panels) {
      for (const t of panel.targets)
        found[panel.id] = (found[panel.id] ?? 0) + (await influxQuery(influx.url, 'glassbench', fill(t.query))).length;
    }
    for (const v of dashboard.templating.list.slice(1)) await influxQuery(influx.url, 'glassbench', fill(v.query));
    const byTitle = (title: string): number =>
      found[dashboard.panels.find((p) => p.title.startsWith(title))?.id ?? -1] ?? 0;
    // a synthetic run has frame latency, stages, a summary, A/V sync and picture quality (no g2g, AI, speech or
    // freezes: those panels stay empty, their queries still run)
    expect(byTitle('frame_latency_ms')).toBeGreaterThan(0);
    expect(byTitle('stages')).toBeGreaterThan(0);
    expect(byTitle('run summary')).toBeGreaterThan(0);
    expect(byTitle('av_sync_ms')).toBeGreaterThan(0);
    expect(byTitle('video_psnr_db')).toBeGreaterThan(0);
    expect(byTitle('video_ssim')).toBeGreaterThan(0);
  });
});
