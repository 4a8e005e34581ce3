/**
 * Names the system under test when it is what could not keep up (docs/metrics.md): the reference SFU
 * (its CPU, its event-loop delay; each of its processes judged alone) or its AI workers (devices busy, queues growing, frames dropped by the queue
 * policy). Unlike `saturated` (a load generator starved), a bottleneck leaves the run valid: it is the result.
 * Judged over the measured window only (hold start to sending stopped); the lines are in docs/outputs.md.
 */
import { quantile, sortedCopy } from '../compare/stats.js';
import { type Bottleneck, sfuProcessName } from '../report/summary.js';
import { inWindow } from './saturation.js';

/** the SFU is over the line when its CPU is above this percent of a core... */
export const BOTTLENECK_CPU_PCT = 85;
/** ...or its event-loop delay p99 over a second is above this, ms (a datagram waits that long unread) */
export const BOTTLENECK_LOOP_DELAY_MS = 50;
/** an AI device is over the line when busy at least this percent of its capacity */
export const BOTTLENECK_AI_UTILISATION_PCT = 95;
/** a line counts when crossed in more than this share of the window's seconds */
export const BOTTLENECK_SHARE = 0.1;
/** frames dropped by the AI queue policy, as a share of the frames sent, that name the AI workers */
export const BOTTLENECK_AI_DROP_SHARE = 0.01;

/** One second of one SFU process (its `res` stage record). */
export interface SfuSecond {
  /** end of the second it covers, ms */
  ms: number;
  cpuPct: number;
  loopDelayP99Ms: number;
  /** the worker process of a multi-worker SFU (absent: a one-process SFU, or the HTTP front) */
  worker?: number;
}

/** One second of one AI device (its `dev` stage record). */
export interface AiDeviceSecond {
  ms: number;
  name: string;
  utilisationPct: number;
  queueLength: number;
}

export interface BottleneckInput {
  /** the measured window: hold start to sending stopped, ms */
  windowStartMs: number;
  windowEndMs: number;
  sfu: SfuSecond[];
  ai?: {
    devices: AiDeviceSecond[];
    framesDropped: number;
    framesSent: number;
    policy: string;
    queueMax: number;
  };
  /** length of one sample, ms; default 1000 */
  intervalMs?: number;
}

/** What each part showed, strongest first; `bottleneck` is the first. */
export interface BottleneckJudgement {
  bottleneck?: Bottleneck;
  findings: Bottleneck[];
}

const pct = (share: number): string => `${Math.round(share * 100)}%`;
const ms = (v: number): string => `${Math.round(v)} ms`;

/** the median second, by the one percentile definition of every output (nearest rank) */
const median = (values: number[]): number => quantile(sortedCopy(values), 0.5);

/** Samples whose second lies mostly inside the window, as the saturation judge takes them. */
function windowSamples<T extends { ms: number }>(samples: T[], input: BottleneckInput): T[] {
  return samples.filter((s) => inWindow(s.ms, input.windowStartMs, input.windowEndMs, input.intervalMs));
}

/** What one SFU process showed over the window, and how far over the lines (to rank processes). */
interface SfuFinding {
  finding: Bottleneck;
  /** the larger share of the window a line was crossed in */
  overShare: number;
}

function judgeSfuProcess(process: string, seconds: SfuSecond[]): SfuFinding | undefined {
  const parts: string[] = [];
  const cpuOver = seconds.filter((s) => s.cpuPct > BOTTLENECK_CPU_PCT);
  const cpuShare = cpuOver.length / seconds.length;
  if (cpuShare > BOTTLENECK_SHARE) {
    const meanPct = cpuOver.reduce((sum, s) => sum + s.cpuPct, 0) / cpuOver.length;
    parts.push(`CPU ${Math.round(meanPct)}% of a core in ${pct(cpuShare)} of the window (line ${BOTTLENECK_CPU_PCT}%)`);
  }
  const loopOver = seconds.filter((s) => s.loopDelayP99Ms > BOTTLENECK_LOOP_DELAY_MS);
  const loopShare = loopOver.length / seconds.length;
  if (loopShare > BOTTLENECK_SHARE) {
    const worst = Math.max(...seconds.map((s) => s.loopDelayP99Ms));
    parts.push(
      `event-loop delay p99 ${ms(median(seconds.map((s) => s.loopDelayP99Ms)))} (median second, worst ${ms(worst)}), over ${BOTTLENECK_LOOP_DELAY_MS} ms in ${pct(loopShare)} of the window`,
    );
  }
  if (parts.length === 0) return undefined;
  return { finding: { process, reason: parts.join('; ') }, overShare: Math.max(cpuShare, loopShare) };
}

/**
 * Each SFU process on its own (a multi-worker SFU's workers and its front, by `worker`), so one saturated worker
 * among idle ones is still found: a mean over the processes would hide it. Worst first: most of the window over
 * a line, then the lower worker index.
 */
function judgeSfu(input: BottleneckInput): Bottleneck[] {
  const byProcess = new Map<string, SfuSecond[]>();
  for (const s of windowSamples(input.sfu, input)) {
    const name = sfuProcessName(s.worker);
    (byProcess.get(name) ?? byProcess.set(name, []).get(name))?.push(s);
  }
  const found = [...byProcess]
    .map(([name, seconds]) => judgeSfuProcess(name, seconds))
    .filter((f): f is SfuFinding => f !== undefined);
  const workers = [...byProcess.keys()].filter((name) => name !== 'sfu').length;
  const workersOver = found.filter((f) => f.finding.process !== 'sfu').length;
  const whose = (process: string): string =>
    workers === 0
      ? ''
      : process === 'sfu'
        ? ' (its HTTP front)'
        : ` (${workersOver} of ${workers} workers over a line)`;
  return found
    .sort(
      (a, b) =>
        b.overShare - a.overShare || a.finding.process.localeCompare(b.finding.process, 'en', { numeric: true }),
    )
    .map(({ finding }) => ({ ...finding, reason: `${finding.reason}${whose(finding.process)}` }));
}

function judgeAi(input: BottleneckInput): Bottleneck | undefined {
  const ai = input.ai;
  if (!ai) return undefined;
  const parts: string[] = [];
  const seconds = windowSamples(ai.devices, input);
  for (const name of [...new Set(seconds.map((s) => s.name))]) {
    const own = seconds.filter((s) => s.name === name);
    const busy = own.filter((s) => s.utilisationPct >= BOTTLENECK_AI_UTILISATION_PCT);
    if (busy.length / own.length > BOTTLENECK_SHARE)
      parts.push(
        `device ${name} ${BOTTLENECK_AI_UTILISATION_PCT}% busy or more in ${pct(busy.length / own.length)} of the window`,
      );
    // a queue that grows from the first half of the window to the second: work arrives faster than it is done
    const half = Math.floor(own.length / 2);
    if (half >= 2) {
      const mean = (list: AiDeviceSecond[]): number => list.reduce((sum, s) => sum + s.queueLength, 0) / list.length;
      const first = mean(own.slice(0, half));
      const second = mean(own.slice(own.length - half));
      if (second - first >= 1)
        parts.push(`device ${name}'s queue grew from ${first.toFixed(1)} to ${second.toFixed(1)} calls waiting`);
    }
  }
  if (ai.framesSent > 0 && ai.framesDropped / ai.framesSent > BOTTLENECK_AI_DROP_SHARE) {
    parts.push(`${ai.framesDropped} of ${ai.framesSent} frames dropped by the ${ai.policy} queue (max ${ai.queueMax})`);
  }
  return parts.length > 0 ? { process: 'ai', reason: parts.join('; ') } : undefined;
}

/**
 * The SFU first: when its event loop is starved, the AI workers it feeds starve with it, so the SFU is the
 * part to name; what the AI workers showed stays in `findings`.
 */
export function judgeBottleneck(input: BottleneckInput): BottleneckJudgement {
  const findings = [...judgeSfu(input), judgeAi(input)].filter((f): f is Bottleneck => f !== undefined);
  return findings[0] ? { bottleneck: findings[0], findings } : { findings };
}
