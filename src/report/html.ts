/**
 * report.html: one self-contained file (Chart.js is inlined, the data embedded as JSON; nothing is fetched)
 * with a latency CDF per metric with its budget lines, the headline latency over time, the stage waterfall
 * (median and p95 of each stage from capture to render), variants side by side, the thresholds with
 * their verdicts (and which failed first), the saturation warning, the bottleneck banner (the system under test
 * could not keep up), the stages per second beside the SFU's event-loop delay, and what people see and hear beside
 * the latency (perception.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { GlassbenchError } from '../errors.js';
import { projectRoot } from '../project-paths.js';
import type { ReportPageData } from './page/types.js';
import { type ReportData, reportData } from './report-data.js';
import { bottleneckWho } from './summary.js';

/** Chart.js's browser build (UMD), found next to the package's entry (its exports map does not list it). */
function chartJs(): string {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(entry), 'chart.umd.js'), 'utf8');
}

/** A threshold's measured value: small fractions (a Rate's 0.0042) keep 3 significant digits, not 0.00. */
const actualText = (actual: number | null): string =>
  actual === null
    ? 'no samples'
    : actual !== 0 && Math.abs(actual) < 1
      ? String(Number(actual.toPrecision(3)))
      : actual.toFixed(2);

const escapeHtml = (text: string): string =>
  text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);

/** The bundled report page script (src/report/page, bundled by `npm run build`: scripts/bundle-page.mjs); a clear
 * error when the build has not made it. */
export function reportPageScript(path = join(projectRoot(), 'dist', 'page', 'glassbench-report.js')): string {
  if (!existsSync(path))
    throw new GlassbenchError('RUN_FAILED', `${path} is missing: run "npm run build" (it bundles the report page)`);
  const script = readFileSync(path, 'utf8');
  // inlined in a <script> element, which the first "</script" would end early
  if (/<\/script/i.test(script))
    throw new GlassbenchError('RUN_FAILED', `${path}: contains "</script", cannot be inlined into report.html`);
  return script;
}

/**
 * report.html for `data`, with `pageScript` (see reportPageScript) as the script that draws the charts; pure, so
 * that what the page shows can be tested without a build.
 */
export function renderReport(data: ReportData, pageScript: string): string {
  // the page reads DATA as ReportPageData: typing it so here fails to compile when the two drift apart
  const pageData: ReportPageData = data;
  const rows = data.thresholds
    .map(
      (t) =>
        `<tr class="${t.ok ? 'ok' : 'fail'}"><td>${escapeHtml(t.key)}</td><td>${escapeHtml(t.expr)}</td><td>${actualText(t.actual)}</td><td>${t.ok ? 'PASS' : 'FAIL'}</td></tr>`,
    )
    .join('\n');
  const rateRows = data.rates
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.metric)}</td>${data.groups.length > 1 ? `<td>${escapeHtml(r.group)}</td>` : ''}<td>${r.rate === null ? 'no samples' : `${Number((r.rate * 100).toPrecision(3))}%`}</td><td>${r.hits} of ${r.count}</td></tr>`,
    )
    .join('');
  const rateTable = rateRows
    ? `<table id="rates"><tr><th>metric</th>${data.groups.length > 1 ? '<th>variant</th>' : ''}<th>rate</th><th>yes of samples</th></tr>${rateRows}</table><p class="small">k6 Rates: the share of samples that were a yes (frame_loss_ratio: expected frames at receivers that were lost)</p>`
    : '';
  const table =
    data.groups.length > 1
      ? `<table><tr><th>metric</th>${data.groups.map((g) => `<th>${escapeHtml(g.name)}</th>`).join('')}</tr>${[
          ...new Set(data.groups.flatMap((g) => g.cdfs.map((c) => c.metric))),
        ]
          .map(
            (m) =>
              `<tr><td>${escapeHtml(m)}</td>${data.groups
                .map((g) => {
                  const c = g.cdfs.find((x) => x.metric === m);
                  return `<td>${c ? `${c.p50.toFixed(1)} / ${c.p95.toFixed(1)}` : '- / -'}</td>`;
                })
                .join('')}</tr>`,
          )
          .join('')}${Object.keys(data.groups[0]?.bars ?? {})
          .map(
            (k) =>
              `<tr><td>${escapeHtml(k)}</td>${data.groups.map((g) => `<td>${(g.bars[k] ?? 0).toFixed(1)}</td>`).join('')}</tr>`,
          )
          .join('')}</table><p class="small">latencies: p50 / p95, ms</p>`
      : '';
  const stageTable = data.load
    ? `<table id="stages"><tr><th>stage</th><th>from (s)</th><th>to (s)</th>${[...new Set(data.load.stages.flatMap((st) => Object.keys(st.latency)))].map((m) => `<th>${escapeHtml(m)} p50 / p95</th>`).join('')}</tr>${data.load.stages
        .map(
          (st) =>
            `<tr><td>${escapeHtml(st.label)}</td><td>${st.startS.toFixed(1)}</td><td>${st.endS.toFixed(1)}</td>${[
              ...new Set((data.load?.stages ?? []).flatMap((x) => Object.keys(x.latency))),
            ]
              .map((m) => {
                const l = st.latency[m];
                return `<td>${l ? `${l.p50?.toFixed(1) ?? '-'} / ${l.p95?.toFixed(1) ?? '-'} (${l.count})` : '-'}</td>`;
              })
              .join('')}</tr>`,
        )
        .join('')}</table><p class="small">ms, frames captured in the stage (count)</p>`
    : '';
  const capacityTable = data.capacity
    ? `${kneeParagraph(data.capacity)}<table id="capacity-steps"><tr><th>calls</th><th>peers</th><th>verdict</th><th>${escapeHtml(data.capacity.headline)} p95</th><th>SFU CPU %</th><th>failed thresholds</th></tr>${data.capacity.steps
        .map(
          (st) =>
            `<tr class="${st.saturated ? 'sat' : st.passed ? 'ok' : 'fail'}"><td>${st.calls}</td><td>${st.peers}</td><td>${st.saturated ? 'SATURATED' : st.passed ? 'PASS' : 'FAIL'}</td><td>${st.p95[data.capacity?.headline ?? '']?.toFixed(1) ?? '-'}</td><td>${st.sfuCpuPct ?? '-'}</td><td>${escapeHtml(st.failedThresholds.join(', '))}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const json = JSON.stringify(pageData).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>glassbench: ${escapeHtml(data.title)} (${escapeHtml(data.runId)})</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
.chart { display: inline-block; width: 560px; height: 340px; margin: 0 16px 48px 0; vertical-align: top; }
.chart h3 { font-size: 14px; margin: 0 0 4px; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; font-size: 13px; }
tr.fail td, td.fail { background: #fde2e2; } tr.ok td, td.ok { background: #e6f4e6; } tr.sat td { background: #fff3cd; }
.banner { padding: 10px 14px; margin: 8px 0; border-radius: 4px; }
.warn { background: #fff3cd; border: 1px solid #e0c060; } .bad { background: #fde2e2; border: 1px solid #d08080; }
.small { font-size: 12px; color: #555; }
</style></head><body>
<h1>glassbench: ${escapeHtml(data.title)}</h1>
<p>run <code>${escapeHtml(data.runId)}</code>, status <b>${escapeHtml(data.status)}</b></p>
${data.saturated ? saturatedBanner(data) : ''}
${data.bottleneck ? `<div class="banner bad" id="bottleneck"><b>Bottleneck: ${escapeHtml(bottleneckWho(data.bottleneck.process))}</b> could not keep up: ${escapeHtml(data.bottleneck.reason)}. The run is valid: this is the system under test's limit, not the load generator's.</div>` : ''}
${data.failedFirst ? `<div class="banner bad" id="failed-first"><b>First budget to fail:</b> ${escapeHtml(data.failedFirst.key)} ${escapeHtml(data.failedFirst.expr)}, after ${data.failedFirst.atS} s</div>` : ''}
<h2>Thresholds</h2>
${rows ? `<table id="thresholds"><tr><th>metric</th><th>budget</th><th>actual</th><th>verdict</th></tr>${rows}</table>` : '<p>none</p>'}
${rateTable ? `<h2>Rates</h2>${rateTable}` : ''}
${table ? `<h2>Variants side by side</h2>${table}` : ''}
${data.clock ? clockSection(data.clock) : ''}
${data.identity ? identitySection(data.identity) : ''}
${data.perception ? perceptionSection(data.perception) : ''}
<h2>Latency distribution (CDF)</h2><div id="cdfs"></div>
${capacityTable ? `<h2>Capacity</h2>${capacityTable}<div id="capacity"></div>` : ''}
<h2>Latency over time</h2><div id="time"></div>
${data.stagesOverTime ? '<h2>Stages over time</h2><div id="stage-time"></div>' : ''}
${stageTable ? `<h2>Latency per load stage</h2>${stageTable}<div id="stages-chart"></div>` : ''}
<h2>Stage waterfall</h2><div id="waterfall"></div>
<h2>${data.groups.length > 1 ? 'Variants: AI time, CPU, drops' : 'AI time, CPU, drops'}</h2><div id="variants"></div>
${data.notes.length > 0 ? `<h2>Notes</h2><ul>${data.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
<script>${chartJs()}</script>
<script>const DATA = ${json};
${pageScript}</script>
</body></html>
`;
}

/** What people see and hear next to the latency: A/V sync against its window, picture quality, freezes, first frame. */
function perceptionSection(perception: NonNullable<ReportData['perception']>): string {
  const head = perception.groups.map((g) => `<th>${escapeHtml(g)}</th>`).join('');
  const rows = perception.rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.what)}</td>${r.cells
          .map((c) =>
            c === null
              ? '<td>-</td>'
              : `<td${c.ok === undefined ? '' : ` class="${c.ok ? 'ok' : 'fail'}"`}>${escapeHtml(c.text)}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('');
  return `<h2>Seen and heard</h2><table id="perception"><tr><th>metric</th>${head}</tr>${rows}</table><p class="small">(n): samples. A/V sync is green when its median lies in the window people accept; freezes are counted at every receiver by the W3C definition (docs/metrics.md).</p>`;
}

/** How receivers named frames: receipts per identity method, and those whose frame stayed unknown. */
function identitySection(identity: NonNullable<ReportData['identity']>): string {
  const rows = Object.entries(identity.methods)
    .map(([method, n]) => `<tr><td>${escapeHtml(method)}</td><td>${n}</td></tr>`)
    .join('');
  return `<h2>Frame identity</h2><table id="identity"><tr><th>named by</th><th>receipts</th></tr>${rows}<tr${identity.identityLost > 0 ? ' class="fail"' : ''}><td>identity lost</td><td>${identity.identityLost}</td></tr></table><p class="small">over ${identity.subscriptions} subscription(s): extension (the frame-id header extension), payload (the id in a synthetic frame's bitstream), rtp-offset (the RTP timestamp through the offset learned per subscription), rtp-timestamp (offset 0), marker (the pixel marker). A receipt whose frame stays unknown is counted, never guessed.</p>`;
}

/** Each shard's clock offset to the SFU's host, and the stages its uncertainty makes doubtful. */
function clockSection(clock: NonNullable<ReportData['clock']>): string {
  const ms = (v: number | null): string => (v === null ? 'unknown' : `${v.toFixed(3)} ms`);
  const rows = clock.shards
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.shard || 'this run')}</td><td>${escapeHtml(c.method)}</td><td>${c.offsetMs >= 0 ? '+' : ''}${c.offsetMs.toFixed(3)} ms</td><td>${ms(c.uncertaintyMs)}</td><td>${c.samples}</td><td>${c.uncertain.map((u) => `${escapeHtml(u.metric)} (median ${u.p50Ms.toFixed(2)} ms, +/- ${ms(u.uncertaintyMs)})`).join(', ') || 'none'}</td></tr>`,
    )
    .join('');
  return `<h2>Clock</h2><table id="clock"><tr><th>shard</th><th>method</th><th>offset</th><th>uncertainty</th><th>exchanges</th><th>clock-uncertain stages</th></tr>${rows}</table><p class="small">offset: the shard's clock minus the SFU host's; SFU times are read as sfu + offset. A cross-host stage (uplink_ms, downlink_ms, asr_ms) whose uncertainty is over 10% of its median is clock-uncertain, and marked so in the charts.</p>`;
}

/** The knee, or the harness limit that ended the search before one (its reasons are in the saturated banner). */
function kneeParagraph(c: NonNullable<ReportData['capacity']>): string {
  const limit = c.harnessLimit;
  if (limit && c.firstFailure === null) {
    return `<p id="harness-limit"><b>Harness limit: the load generator saturated at ${limit.calls} concurrent call(s)</b> before any threshold failed, so there is no knee${limit.lastPass !== null ? `; every threshold held up to ${limit.lastPass} call(s)` : ''} (${c.search} search)</p>`;
  }
  const knee = `<p id="knee"><b>${c.knee === null ? 'No load met every threshold' : `Knee: ${c.knee} concurrent call(s)`}</b>${c.firstFailure !== null ? `; ${c.firstFailure} failed` : ''} (${c.search} search)</p>`;
  return limit
    ? `${knee}<p id="harness-limit">The load generator saturated at ${limit.calls} call(s) while the search narrowed the knee.</p>`
    : knee;
}

/** The load generator (or the machine) crossed a saturation line: each crossing, and what to do. */
function saturatedBanner(data: ReportData): string {
  const reasons = data.saturation
    ? `<ul>${data.saturation.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul><p class="small">What to do: ${escapeHtml(data.saturation.advice)}</p>`
    : '';
  return `<div class="banner warn" id="saturated"><b>Saturated:</b> the load generator was starved; these numbers measure the harness, not the system.${reasons}</div>`;
}

/** Writes `<dir>/report.html` from the run's files; returns its path. */
export async function writeReport(dir: string): Promise<string> {
  const path = join(dir, 'report.html');
  await writeFile(path, renderReport(await reportData(dir), reportPageScript()));
  return path;
}
