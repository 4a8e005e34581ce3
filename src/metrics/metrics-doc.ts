/**
 * docs/metrics.md, rendered from the catalogue: `npm run docs:metrics` writes it, and a unit test fails when the
 * file in the repository differs from what the catalogue renders (test/unit/metrics/metrics-doc.test.ts).
 */
import { type MetricDefinition, type MetricField, METRICS, type MetricScope } from './catalogue.js';

/** The scopes in the order the document lists them, with their headings and what one sample stands for. */
const SCOPES: readonly { scope: MetricScope; heading: string; text: string }[] = [
  {
    scope: 'receipt',
    heading: 'Per receipt',
    text: 'One sample (or one count) per frame at one receiver: a receiver that got a frame contributes once.',
  },
  {
    scope: 'pair',
    heading: 'Per expected pair',
    text: 'One sample per expected (frame, receiver) pair of the frame accounting: a frame sent inside the measurement window, at a receiver subscribed for its whole life.',
  },
  {
    scope: 'frame',
    heading: 'Per frame',
    text: 'Once per frame, however many receivers got it: at the publisher, or in the AI hook at the SFU before the frame fans out.',
  },
  {
    scope: 'utterance',
    heading: 'Per utterance',
    text: "Once per utterance of the translation chain, however many receivers heard it: the chain's times are the same for all of them.",
  },
  { scope: 'listener', heading: 'Per listener', text: 'One sample per utterance at one receiver.' },
  { scope: 'subscription', heading: 'Per subscription', text: 'One sample per subscription over its whole window.' },
  {
    scope: 'second',
    heading: 'Per second',
    text: "One sample per second of one receiver, process or device, or of the run; a counter's sample is the increase over that second.",
  },
  { scope: 'call', heading: 'Per call', text: 'Calls of an arrival-rate executor.' },
];

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function fieldOf(field: MetricField | undefined): string {
  if (!field) return '-';
  return 'stage' in field ? `\`${field.record}.${field.key}.${field.stage}\`` : `\`${field.record}.${field.key}\``;
}

function row(m: MetricDefinition): string {
  const influx = m.influx ? `\`${m.influx.measurement}.${m.influx.field}\`` : '-';
  const tags = m.tags.length > 0 ? m.tags.join(', ') : 'none';
  return `| \`${m.name}\` | ${m.kind} | ${m.unit} | ${m.better} | ${cell(m.definition)} | ${fieldOf(m.field)} | ${influx} | ${tags} |`;
}

/** The whole of docs/metrics.md. */
export function renderMetricsDoc(): string {
  const rows: readonly MetricDefinition[] = METRICS;
  const lines = [
    '# Metrics',
    '',
    '<!-- generated from src/metrics/catalogue*.ts by `npm run docs:metrics`: edit the catalogue, not this file -->',
    '',
    'Every metric glassbench reports, grouped by what one of its samples stands for. A name that is not here',
    'cannot be recorded, read, or used in a threshold. Times are ms unless the name says otherwise.',
    '',
    '- **kind**: `trend` is a distribution of samples (summarised with nearest-rank percentiles, `p(95)`, `med`,',
    '  `avg`, `min`, `max`, `count`); `counter` counts events (`count`, and `rate` per second of the measured',
    "  window); `rate` is k6's Rate, each sample a yes or a no (`rate` is the fraction of yeses, 0..1).",
    '- **percentiles** are nearest rank everywhere (summary, thresholds, compare, report.html): the p-th percentile',
    '  is the smallest sample v with at least p% of the samples <= v, never an interpolation between two samples.',
    '- **better**: which way is an improvement (zero: nearer to zero either way, as for A/V sync; compare judges the distance from zero).',
    '- **start -> end**: the two stamps a time runs between, or what is counted.',
    "- **record field**: the field that carries each sample in the run's records (`FrameRecord` and",
    "  `SpeechSampleRecord` are the lines of `frames.ndjson.gz`; `StatsSample` is one second of a receiver's",
    '  WebRTC stats; `ReceivedFrameRecord` is what a receiver reported before the harness joined it). `-`: the',
    '  metric is counted from events or computed from two stamps.',
    '- **InfluxDB field**: `measurement.field` of its per-sample points. Every metric also has one point per run',
    '  in measurement `summary` (tag `metric`), with its summary statistics as fields.',
    '- **tags**: what its samples carry, usable as threshold filters (`frame_latency_ms{room:r1}`).',
  ];
  for (const { scope, heading, text } of SCOPES) {
    const inScope = rows.filter((m) => m.scope === scope);
    if (inScope.length === 0) continue;
    lines.push('', `## ${heading}`, '', text, '');
    lines.push(
      '| metric | kind | unit | better | start -> end, or what is counted | record field | InfluxDB field | tags |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const m of inScope) lines.push(row(m));
  }
  return `${lines.join('\n')}\n`;
}
