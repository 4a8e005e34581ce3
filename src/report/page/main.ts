/**
 * The report page's script (bundled by scripts/bundle-page.mjs, inlined by src/report/html.ts): draws every
 * chart of report.html from `DATA`, then sets `window.glassbenchCharts` to the number drawn.
 */
import type { BarDataset, ChartConfig, LineDataset, ReportPageData } from './types.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const color = (i: number): string => COLORS[i % COLORS.length] as string;
const charts: unknown[] = [];

function canvasIn(id: string, title: string): HTMLCanvasElement {
  const box = document.createElement('div');
  box.className = 'chart';
  const h = document.createElement('h3');
  h.textContent = title;
  const canvas = document.createElement('canvas');
  box.append(h, canvas);
  const container = document.getElementById(id);
  // html.ts writes a container for every chart it has data for: a missing one is a bug, not a chart to skip
  if (!container) throw new Error(`report.html has no #${id} to draw in`);
  container.append(box);
  return canvas;
}

function draw(canvas: HTMLCanvasElement, config: ChartConfig): void {
  config.options = Object.assign(
    { animation: false, responsive: true, maintainAspectRatio: false },
    config.options || {},
  );
  charts.push(new Chart(canvas, config));
}

/** a dashed line at a budget (black) or a boundary, from one point to another */
function line(
  label: string | undefined,
  from: [number, number],
  to: [number, number],
  style: { color: string; dash: number[]; width: number },
): LineDataset {
  return {
    label,
    data: [
      { x: from[0], y: from[1] },
      { x: to[0], y: to[1] },
    ],
    borderColor: style.color,
    borderDash: style.dash,
    pointRadius: 0,
    borderWidth: style.width,
  };
}

const BUDGET = { color: '#000', dash: [6, 4], width: 1 };

function budgetsOf(data: ReportPageData, metric: string): number[] {
  return [...new Set(data.groups.flatMap((g) => (g.cdfs.find((c) => c.metric === metric) || { budgets: [] }).budgets))];
}

/** ` (clock-uncertain)` after a stage whose clock uncertainty is over 10% of its median (summary.clock). */
function clockMark(data: ReportPageData, metric: string): string {
  return (data.uncertainMetrics || []).indexOf(metric) >= 0 ? ' (clock-uncertain)' : '';
}

/** The x axis of a metric's CDF: ms for latencies, dB for video_psnr_db, none for a ratio (video_ssim). */
function axisUnit(metric: string): string {
  return metric.endsWith('_ms') ? 'ms' : metric.endsWith('_db') ? 'dB' : '';
}

function drawCdfs(data: ReportPageData): void {
  const metrics = [...new Set(data.groups.flatMap((g) => g.cdfs.map((c) => c.metric)))];
  for (const metric of metrics) {
    const datasets: LineDataset[] = [];
    data.groups.forEach((g, i) => {
      const cdf = g.cdfs.find((c) => c.metric === metric);
      if (cdf)
        datasets.push({
          label: g.name,
          data: cdf.points.map(([x, y]) => ({ x, y })),
          borderColor: color(i),
          pointRadius: 0,
          borderWidth: 2,
          stepped: true,
        });
    });
    const unit = axisUnit(metric);
    for (const b of budgetsOf(data, metric)) datasets.push(line(`budget ${b} ${unit}`, [b, 0], [b, 1], BUDGET));
    draw(canvasIn('cdfs', metric + clockMark(data, metric) + ' (CDF)'), {
      type: 'line',
      data: { datasets },
      options: {
        scales: {
          x: { type: 'linear', title: { display: true, text: unit || metric } },
          y: { min: 0, max: 1, title: { display: true, text: 'share of frames' } },
        },
      },
    });
  }
}

function drawOverTime(data: ReportPageData): void {
  const datasets: LineDataset[] = [];
  let i = 0;
  for (const g of data.groups) {
    for (const s of g.overTime) {
      const c = color(i++);
      datasets.push({
        label: s.label + ' p50',
        data: s.points.map(([t, p50]) => ({ x: t, y: p50 })),
        borderColor: c,
        pointRadius: 0,
        borderWidth: 2,
      });
      datasets.push({
        label: s.label + ' p95',
        data: s.points.map(([t, , p95]) => ({ x: t, y: p95 })),
        borderColor: c,
        borderDash: [4, 3],
        pointRadius: 0,
        borderWidth: 1,
      });
    }
  }
  const end = Math.max(1, ...data.groups.flatMap((g) => g.overTime.flatMap((s) => s.points.map((p) => p[0]))));
  for (const b of budgetsOf(data, data.headline)) datasets.push(line('budget ' + b + ' ms', [0, b], [end, b], BUDGET));
  const scales: Record<string, unknown> = {
    x: { type: 'linear', title: { display: true, text: 's' } },
    y: { title: { display: true, text: 'ms' } },
  };
  if (data.load) {
    // stage boundaries as dashed vertical lines, peers connected on a second axis
    const top = Math.max(1, ...datasets.flatMap((d) => d.data.map((p) => p.y)));
    data.load.stages.forEach((st, k) =>
      datasets.push(
        line(k === 0 ? 'load stages' : undefined, [st.startS, 0], [st.startS, top], {
          color: '#888',
          dash: [2, 3],
          width: 1,
        }),
      ),
    );
    datasets.push({
      label: 'peers connected',
      data: data.load.peers.map(([x, y]) => ({ x, y })),
      borderColor: '#2ca02c',
      stepped: true,
      pointRadius: 0,
      borderWidth: 2,
      yAxisID: 'peers',
    });
    scales['peers'] = {
      position: 'right',
      title: { display: true, text: 'peers' },
      grid: { drawOnChartArea: false },
      beginAtZero: true,
    };
  }
  const title =
    data.headline +
    ' per second (from the start of the run; measurement starts after warm-up)' +
    (data.load ? ', with load stages and peers' : '');
  draw(canvasIn('time', title), {
    type: 'line',
    data: { datasets },
    options: {
      plugins: { legend: { labels: { filter: (item: { text?: string }) => item.text !== undefined } } },
      scales,
    },
  });
}

function drawStagesOverTime(st: NonNullable<ReportPageData['stagesOverTime']>): void {
  const datasets: LineDataset[] = st.stages.map((s, i) => ({
    label: s.metric + ' p50',
    data: s.points.map(([x, y]) => ({ x, y })),
    borderColor: color(i + 2),
    pointRadius: 0,
    borderWidth: 2,
  }));
  if (st.sfuLoopDelayMs.length > 0)
    datasets.push({
      label: 'sfu_loop_delay_ms (p99 of each second)',
      data: st.sfuLoopDelayMs.map(([x, y]) => ({ x, y })),
      borderColor: '#000',
      borderDash: [4, 3],
      pointRadius: 2,
      borderWidth: 1,
    });
  const title =
    "stages per second (median) beside the SFU's event-loop delay: time a datagram waits unread, which no stamp sees";
  draw(canvasIn('stage-time', title), {
    type: 'line',
    data: { datasets },
    options: {
      scales: {
        x: { type: 'linear', title: { display: true, text: 's' } },
        y: { title: { display: true, text: 'ms' } },
      },
    },
  });
}

function drawLoadSteps(load: NonNullable<ReportPageData['load']>): void {
  const metricsInStages = [...new Set(load.stages.flatMap((st) => Object.keys(st.latency)))];
  const datasets: BarDataset[] = [];
  metricsInStages.forEach((metric, i) => {
    datasets.push({
      label: metric + ' p50',
      backgroundColor: color(i),
      data: load.stages.map((st) => st.latency[metric]?.p50 || 0),
    });
    datasets.push({
      label: metric + ' p95',
      backgroundColor: color(i) + '88',
      data: load.stages.map((st) => st.latency[metric]?.p95 || 0),
    });
  });
  draw(canvasIn('stages-chart', 'latency per load stage (p50 solid, p95 light)'), {
    type: 'bar',
    data: { labels: load.stages.map((st) => st.label), datasets },
    options: { scales: { y: { title: { display: true, text: 'ms' } } } },
  });
}

function drawCapacity(capacity: NonNullable<ReportPageData['capacity']>): void {
  const steps = capacity.steps;
  const metricsInSteps = [...new Set(steps.flatMap((s) => Object.keys(s.p95)))];
  // a step without a metric's p95 (undefined) or without samples (null) leaves a gap
  const datasets: LineDataset<number | null | undefined>[] = metricsInSteps.map((metric, i) => ({
    label: metric + ' p95',
    data: steps.map((s) => ({ x: s.calls, y: s.p95[metric] })),
    borderColor: color(i),
    pointRadius: 4,
    borderWidth: 2,
  }));
  datasets.push({
    label: 'SFU CPU %',
    data: steps.map((s) => ({ x: s.calls, y: s.sfuCpuPct })),
    borderColor: '#555',
    borderDash: [4, 3],
    pointRadius: 3,
    borderWidth: 1,
    yAxisID: 'cpu',
  });
  datasets.push({
    label: 'peer runner CPU %',
    data: steps.map((s) => ({ x: s.calls, y: s.runnerCpuPct })),
    borderColor: '#aaa',
    borderDash: [2, 2],
    pointRadius: 3,
    borderWidth: 1,
    yAxisID: 'cpu',
  });
  const top = (): number => Math.max(1, ...datasets.flatMap((d) => d.data.map((p) => p.y || 0)));
  if (capacity.knee !== null)
    datasets.push(
      line('knee: ' + capacity.knee + ' calls', [capacity.knee, 0], [capacity.knee, top()], {
        color: '#d62728',
        dash: [6, 4],
        width: 2,
      }),
    );
  if (capacity.harnessLimit) {
    const at = capacity.harnessLimit.calls;
    datasets.push(
      line('harness limit (generator saturated): ' + at + ' calls', [at, 0], [at, top()], {
        color: '#e0a000',
        dash: [2, 4],
        width: 2,
      }),
    );
  }
  const scales = {
    x: { type: 'linear', title: { display: true, text: 'concurrent calls' } },
    y: { title: { display: true, text: 'ms' } },
    cpu: {
      position: 'right',
      title: { display: true, text: 'CPU % of a core' },
      grid: { drawOnChartArea: false },
      beginAtZero: true,
    },
  };
  draw(canvasIn('capacity', 'p95 latency and CPU against load (concurrent calls)'), {
    type: 'line',
    data: { datasets },
    options: { scales },
  });
}

function drawWaterfall(data: ReportPageData): void {
  const stages = [...new Set(data.groups.flatMap((g) => g.waterfall.map((w) => w.stage)))];
  const labels = data.groups.flatMap((g) => [g.name + ' p50', g.name + ' p95']);
  const datasets: BarDataset[] = stages.map((stage, i) => ({
    label: stage + clockMark(data, stage),
    backgroundColor: color(i),
    data: data.groups.flatMap((g) => {
      const w = g.waterfall.find((x) => x.stage === stage);
      return [w ? w.p50 : 0, w ? w.p95 : 0];
    }),
  }));
  const options = {
    indexAxis: 'y',
    scales: { x: { stacked: true, title: { display: true, text: 'ms' } }, y: { stacked: true } },
  };
  draw(canvasIn('waterfall', 'where the time goes: stages from capture to render, stacked'), {
    type: 'bar',
    data: { labels, datasets },
    options,
  });
}

function drawVariants(data: ReportPageData): void {
  const keys = [...new Set(data.groups.flatMap((g) => Object.keys(g.bars)))];
  for (const key of keys) {
    const dataset: BarDataset = {
      label: key,
      data: data.groups.map((g) => g.bars[key] ?? 0),
      backgroundColor: data.groups.map((_, i) => color(i)),
    };
    draw(canvasIn('variants', key), {
      type: 'bar',
      data: { labels: data.groups.map((g) => g.name), datasets: [dataset] },
      options: { plugins: { legend: { display: false } } },
    });
  }
}

// the order the charts were drawn in before the page became a module: the count and each box's place depend on it
drawCdfs(DATA);
drawOverTime(DATA);
if (DATA.stagesOverTime) drawStagesOverTime(DATA.stagesOverTime);
if (DATA.load) drawLoadSteps(DATA.load);
if (DATA.capacity) drawCapacity(DATA.capacity);
drawWaterfall(DATA);
drawVariants(DATA);
window.glassbenchCharts = charts.length;
