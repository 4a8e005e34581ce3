/**
 * report.html's page script: the bundle is inlined after the run's DATA (and a missing bundle is a clear
 * error), and the page module draws one chart per thing the report has data for, then says how many.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

import { GlassbenchError } from '../../../src/errors.js';
import { renderReport, reportPageScript } from '../../../src/report/html.js';
import type { ReportData } from '../../../src/report/report-data.js';

const dir = mkdtempSync(join(tmpdir(), 'gb-report-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function data(extra: Partial<ReportData> = {}): ReportData {
  const group = (name: string): ReportData['groups'][number] => ({
    name,
    cdfs: [
      {
        metric: 'frame_latency_ms',
        points: [
          [1, 0.5],
          [2, 1],
        ],
        budgets: [100],
        p50: 1,
        p95: 2,
      },
      { metric: 'uplink_ms', points: [[1, 1]], budgets: [], p50: 1, p95: 1 },
    ],
    overTime: [{ label: name, points: [[0, 1, 2]] }],
    waterfall: [{ stage: 'uplink_ms', p50: 1, p95: 1 }],
    bars: { 'SFU CPU %': 10, 'frames dropped or lost': 0 },
  });
  return {
    title: 't </script>',
    runId: 'r',
    status: 'passed',
    saturated: false,
    notes: [],
    headline: 'frame_latency_ms',
    thresholds: [],
    rates: [],
    groups: [group('a')],
    ...extra,
  };
}

describe('renderReport', () => {
  it('inlines the page script right after the run data, with every < in the data escaped', () => {
    const html = renderReport(data(), 'drawEverything();');
    const json = JSON.stringify(data()).replace(/</g, '\\u003c');
    expect(html).toContain(`<script>const DATA = ${json};\ndrawEverything();</script>\n</body></html>`);
    expect(json).not.toContain('</script>');
  });
});

describe('reportPageScript', () => {
  it('reads the bundle', () => {
    const path = join(dir, 'bundle.js');
    writeFileSync(path, '(() => { window.glassbenchCharts = 0; })();');
    expect(reportPageScript(path)).toBe('(() => { window.glassbenchCharts = 0; })();');
  });

  it('names the missing bundle and the command that makes it', () => {
    const path = join(dir, 'missing.js');
    expect(() => reportPageScript(path)).toThrow(GlassbenchError);
    expect(() => reportPageScript(path)).toThrow(
      `${path} is missing: run "npm run build" (it bundles the report page)`,
    );
  });

  it('refuses a script that would end its <script> element early', () => {
    const path = join(dir, 'closing.js');
    writeFileSync(path, 'const s = "</SCRIPT>";');
    expect(() => reportPageScript(path)).toThrow(/cannot be inlined into report\.html/);
  });
});

/** Runs the page module (src/report/page/main.ts) against a stub DOM and Chart; returns what it drew. */
async function drawPage(
  pageData: ReportData,
): Promise<{ charts: { type: string; box: string; title: string }[]; count: number | undefined }> {
  const charts: { type: string; box: string; title: string }[] = [];
  interface Stub {
    id?: string;
    textContent: string;
    className: string;
    children: Stub[];
    append(...children: Stub[]): void;
  }
  const element = (id?: string): Stub => ({
    id,
    textContent: '',
    className: '',
    children: [],
    append(...children: Stub[]) {
      this.children.push(...children);
    },
  });
  const containers = new Map<string, Stub>();
  const boxOf = new Map<Stub, string>();
  const win: { glassbenchCharts?: number } = {};
  vi.stubGlobal('window', win);
  vi.stubGlobal('DATA', pageData);
  vi.stubGlobal('document', {
    createElement: () => element(),
    getElementById: (id: string) => {
      let container = containers.get(id);
      if (!container) {
        container = element(id);
        const append = container.append.bind(container);
        const name = id;
        container.append = (...children: Stub[]) => {
          for (const box of children) for (const canvas of box.children) boxOf.set(canvas, name);
          append(...children);
        };
        containers.set(id, container);
      }
      return container;
    },
  });
  vi.stubGlobal(
    'Chart',
    class {
      constructor(canvas: Stub, config: { type: string }) {
        const box = [...containers.values()].flatMap((c) => c.children).find((b) => b.children.includes(canvas));
        charts.push({ type: config.type, box: boxOf.get(canvas) ?? '?', title: box?.children[0]?.textContent ?? '' });
      }
    },
  );
  vi.resetModules();
  // a path in a variable: the test's tsconfig (Node, no DOM) does not type-check the page module
  const entry = '../../../src/report/page/main.ts';
  await import(entry);
  return { charts, count: win.glassbenchCharts };
}

describe('the report page', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('draws a CDF per metric, the headline over time, the waterfall and a bar chart per bar, then counts them', async () => {
    const seen = await drawPage(data());
    expect(seen.charts.map((c) => `${c.box}: ${c.title}`)).toEqual([
      'cdfs: frame_latency_ms (CDF)',
      'cdfs: uplink_ms (CDF)',
      'time: frame_latency_ms per second (from the start of the run; measurement starts after warm-up)',
      'waterfall: where the time goes: stages from capture to render, stacked',
      'variants: SFU CPU %',
      'variants: frames dropped or lost',
    ]);
    expect(seen.count).toBe(6);
  });

  it('adds the stages over time, the load stages and the capacity charts when the data has them', async () => {
    const seen = await drawPage(
      data({
        stagesOverTime: { stages: [{ metric: 'uplink_ms', points: [[0, 1]] }], sfuLoopDelayMs: [] },
        load: {
          stages: [
            { label: '0: ramp', startS: 0, endS: 5, latency: { frame_latency_ms: { count: 1, p50: 1, p95: 1 } } },
          ],
          peers: [[0, 2]],
        },
        capacity: {
          knee: 2,
          firstFailure: 3,
          search: 'step',
          headline: 'frame_latency_ms',
          steps: [
            {
              calls: 2,
              peers: 4,
              status: 'passed',
              passed: true,
              p95: { frame_latency_ms: 5 },
              sfuCpuPct: 10,
              runnerCpuPct: 5,
              failedThresholds: [],
              saturated: false,
              dir: 'steps/2',
            },
          ],
        },
      }),
    );
    expect(seen.charts.map((c) => c.box)).toEqual([
      'cdfs',
      'cdfs',
      'time',
      'stage-time',
      'stages-chart',
      'capacity',
      'waterfall',
      'variants',
      'variants',
    ]);
    expect(seen.charts.find((c) => c.box === 'time')?.title).toMatch(/, with load stages and peers$/);
    expect(seen.count).toBe(9);
  });

  it('fails loudly when the page has no container for a chart it has data for', async () => {
    const html = { getElementById: (): null => null, createElement: () => ({ append: () => undefined }) };
    vi.stubGlobal('window', {});
    vi.stubGlobal('DATA', data());
    vi.stubGlobal('document', html);
    vi.stubGlobal('Chart', class {});
    vi.resetModules();
    const entry = '../../../src/report/page/main.ts';
    await expect(import(entry)).rejects.toThrow('report.html has no #cdfs to draw in');
  });
});
