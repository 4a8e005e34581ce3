/**
 * Impaired links (docs/scenarios.md): each network profile of a run gets a network namespace of its own,
 * joined to the host by a point-to-point link whose two directions are impaired (uplink: what the peers inside
 * send; downlink: what they receive). The peer runner for that profile runs inside the namespace; the SFU
 * listens on the host end. Only loopback and these links are ever addressed.
 *
 * Two engines: Linux netem on a veth pair when the kernel has it (sch_netem), and otherwise glassbench's
 * user-space link emulator (link-emulator.py: two TUN devices and the same impairments), since some kernels
 * (this project's CI machines among them) are built without netem. The summary says which one ran.
 *
 * Namespaces are named `gb-<harness pid>-<n>`; a run removes its own when it ends (Ctrl-C included), and
 * removes those of harnesses that no longer exist before it makes new ones.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { GlassbenchError } from '../errors.js';
import { projectRoot } from '../project-paths.js';
import type { LinkImpairment, NetworkProfile } from '../scenario/types.js';

export type LinkEngine = 'netem' | 'userspace';

export interface LinkCounts {
  packets: number;
  dropped: number;
}

export interface Link {
  index: number;
  netns: string;
  /** the host end (the SFU listens here) */
  hostAddress: string;
  /** the namespace end (its peers bind here) */
  peerAddress: string;
  engine: LinkEngine;
  profile: NetworkProfile;
}

const NETNS_DIR = '/var/run/netns';
const PREFIX = 'gb-';

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => resolve({ code: 127, stdout, stderr: error.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function must(command: string, args: string[]): Promise<string> {
  const result = await run(command, args);
  if (result.code !== 0)
    throw new GlassbenchError(
      'RUN_FAILED',
      `network: ${command} ${args.join(' ')} failed: ${result.stderr.trim() || `exit ${result.code}`}`,
    );
  return result.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces left by glassbench runs whose harness no longer exists (a kill -9). */
export async function removeStaleNamespaces(): Promise<string[]> {
  if (!existsSync(NETNS_DIR)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(NETNS_DIR)) {
    const match = /^gb-(\d+)-\d+$/.exec(name);
    if (!match || pidAlive(Number(match[1]))) continue;
    await run('ip', ['netns', 'del', name]);
    removed.push(name);
  }
  return removed;
}

/** What stops impaired links on this machine, or undefined when they can be made. */
export async function linkPrerequisites(): Promise<string | undefined> {
  if (process.getuid?.() !== 0)
    return 'network impairment needs root (it makes network namespaces and links): run as root, or remove network from the scenario';
  if ((await run('ip', ['-V'])).code !== 0)
    return 'network impairment needs iproute2: apt-get install -y iproute2 (or bash scripts/setup-system.sh)';
  return undefined;
}

function netemArgs(link: LinkImpairment): string[] {
  const args: string[] = [];
  if (link.delayMs > 0 || link.jitterMs > 0)
    args.push('delay', `${link.delayMs}ms`, ...(link.jitterMs > 0 ? [`${link.jitterMs}ms`] : []));
  if (link.lossPct > 0) {
    if (link.burstLossPackets > 1) {
      // Gilbert-Elliott with every packet lost in the bad state: p (good -> bad), r (bad -> good)
      const r = 1 / link.burstLossPackets;
      const p = Math.min(1, ((link.lossPct / 100) * r) / Math.max(1e-9, 1 - link.lossPct / 100));
      args.push('loss', 'gemodel', `${(p * 100).toFixed(4)}%`, `${(r * 100).toFixed(4)}%`, '100%', '0%');
    } else {
      args.push('loss', 'random', `${link.lossPct}%`);
    }
  }
  if (link.rateKbps > 0) args.push('rate', `${link.rateKbps}kbit`);
  if (args.length === 0) args.push('delay', '0ms');
  return args;
}

/** `tc qdisc replace` arguments of one direction, for tests and messages. */
export function netemCommand(device: string, link: LinkImpairment): string[] {
  return ['qdisc', 'replace', 'dev', device, 'root', 'netem', ...netemArgs(link)];
}

function emulatorSettings(uplink: LinkImpairment, downlink: LinkImpairment): string {
  const one = (l: LinkImpairment): Record<string, number> => ({
    delayMs: l.delayMs,
    jitterMs: l.jitterMs,
    lossPct: l.lossPct,
    burstLossPackets: l.burstLossPackets,
    rateKbps: l.rateKbps,
  });
  return `${JSON.stringify({ uplink: one(uplink), downlink: one(downlink) })}\n`;
}

interface LinkState extends Link {
  hostDevice: string;
  peerDevice: string;
  emulator?: ChildProcess;
  emulatorCounts?: Promise<{ uplink: LinkCounts; downlink: LinkCounts } | undefined>;
}

/** The links of one run. */
export class NetworkLab {
  private readonly links: LinkState[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private closed: Promise<Record<string, { uplink: LinkCounts; downlink: LinkCounts } | undefined>> | undefined;
  private closing = false;
  /** what was applied when, for the summary */
  readonly changes: { link: number; atMs: number; uplink: LinkImpairment; downlink: LinkImpairment }[] = [];

  private constructor(private readonly onWarning: (message: string) => void) {}

  get list(): Link[] {
    return this.links.map(({ index, netns, hostAddress, peerAddress, engine, profile }) => ({
      index,
      netns,
      hostAddress,
      peerAddress,
      engine,
      profile,
    }));
  }

  /** Makes one namespace and link per profile. On failure, removes what it made and throws (exit 107). */
  static async create(
    profiles: NetworkProfile[],
    onWarning: (message: string) => void = () => undefined,
  ): Promise<NetworkLab> {
    const missing = await linkPrerequisites();
    if (missing) throw new GlassbenchError('RUN_FAILED', missing);
    const stale = await removeStaleNamespaces();
    if (stale.length > 0) onWarning(`network: removed namespaces left by earlier runs: ${stale.join(', ')}`);
    const lab = new NetworkLab(onWarning);
    try {
      const netem = await netemAvailable();
      // a /24 per run (from the pid, so runs side by side rarely meet), a /30 per link
      const octet = 1 + (process.pid % 250);
      for (const [index, profile] of profiles.entries()) {
        if (index >= 63)
          throw new GlassbenchError('RUN_FAILED', 'network: at most 63 distinct network profiles per run');
        const base = index * 4;
        const state: LinkState = {
          index,
          netns: `${PREFIX}${process.pid}-${index + 1}`,
          hostAddress: `10.213.${octet}.${base + 1}`,
          peerAddress: `10.213.${octet}.${base + 2}`,
          engine: netem ? 'netem' : 'userspace',
          profile,
          hostDevice: `gbh${process.pid % 1_000_000}x${index + 1}`,
          peerDevice: 'gbpeer',
        };
        lab.links.push(state);
        await must('ip', ['netns', 'add', state.netns]);
        await must('ip', ['-n', state.netns, 'link', 'set', 'lo', 'up']);
        if (state.engine === 'netem') await lab.makeVeth(state);
        else await lab.makeEmulated(state);
        lab.apply(state, profile.uplink, profile.downlink, 0);
      }
    } catch (error) {
      await lab.close();
      throw error;
    }
    return lab;
  }

  private async makeVeth(link: LinkState): Promise<void> {
    await must('ip', [
      'link',
      'add',
      link.hostDevice,
      'type',
      'veth',
      'peer',
      'name',
      link.peerDevice,
      'netns',
      link.netns,
    ]);
    await must('ip', ['addr', 'add', `${link.hostAddress}/30`, 'dev', link.hostDevice]);
    await must('ip', ['link', 'set', link.hostDevice, 'up']);
    await must('ip', ['-n', link.netns, 'addr', 'add', `${link.peerAddress}/30`, 'dev', link.peerDevice]);
    await must('ip', ['-n', link.netns, 'link', 'set', link.peerDevice, 'up']);
    await must('ip', ['-n', link.netns, 'route', 'add', 'default', 'via', link.hostAddress]);
  }

  private async makeEmulated(link: LinkState): Promise<void> {
    const script = join(projectRoot(), 'src', 'network', 'link-emulator.py');
    const child = spawn('python3', [script, link.netns, link.hostDevice, link.peerDevice, String(1000 + link.index)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    link.emulator = child;
    child.stdin?.on('error', () => undefined); // it exited: its exit is reported below
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let last: { uplink: LinkCounts; downlink: LinkCounts } | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { ready?: boolean; uplink?: LinkCounts; downlink?: LinkCounts };
        if (message.ready) resolve();
        else if (message.uplink && message.downlink) last = { uplink: message.uplink, downlink: message.downlink };
      });
      child.once('error', (error) =>
        reject(
          new GlassbenchError(
            'RUN_FAILED',
            `network: cannot start the link emulator (python3): ${error.message}; apt-get install -y python3`,
          ),
        ),
      );
      child.once('exit', (code) =>
        reject(
          new GlassbenchError(
            'RUN_FAILED',
            `network: the link emulator exited (code ${code}): ${stderr.trim().split('\n').pop() ?? ''}`,
          ),
        ),
      );
    });
    link.emulatorCounts = new Promise((resolve) => child.once('exit', () => resolve(last)));
    await ready;
    child.once('exit', (code, signal) => {
      // after start-up only close() ends it: anything else cuts the namespace's peers off
      if (!this.closing)
        this.onWarning(
          `network: the link emulator of ${link.netns} exited (${signal ?? `code ${code}`}); its peers are cut off: ${stderr.trim().split('\n').pop() ?? ''}`,
        );
    });
    await must('ip', ['addr', 'add', link.hostAddress, 'peer', link.peerAddress, 'dev', link.hostDevice]);
    await must('ip', ['link', 'set', link.hostDevice, 'up']);
    await must('ip', [
      '-n',
      link.netns,
      'addr',
      'add',
      link.peerAddress,
      'peer',
      link.hostAddress,
      'dev',
      link.peerDevice,
    ]);
    await must('ip', ['-n', link.netns, 'link', 'set', link.peerDevice, 'up']);
    await must('ip', ['-n', link.netns, 'route', 'add', 'default', 'dev', link.peerDevice]);
  }

  private apply(link: LinkState, uplink: LinkImpairment, downlink: LinkImpairment, atMs: number): void {
    this.changes.push({ link: link.index, atMs, uplink, downlink });
    if (link.engine === 'userspace') {
      link.emulator?.stdin?.write(emulatorSettings(uplink, downlink));
      return;
    }
    void run('ip', ['netns', 'exec', link.netns, 'tc', ...netemCommand(link.peerDevice, uplink)]).then(
      (r) => r.code !== 0 && this.onWarning(`network: uplink netem on ${link.netns}: ${r.stderr.trim()}`),
    );
    void run('tc', netemCommand(link.hostDevice, downlink)).then(
      (r) => r.code !== 0 && this.onWarning(`network: downlink netem on ${link.hostDevice}: ${r.stderr.trim()}`),
    );
  }

  /** Starts each profile's schedule (times from now, the start of the hold). */
  startSchedules(): void {
    for (const link of this.links) {
      for (const entry of link.profile.schedule) {
        const timer = setTimeout(() => this.apply(link, entry.uplink, entry.downlink, entry.atMs), entry.atMs);
        timer.unref();
        this.timers.push(timer);
      }
    }
  }

  /** Removes every link and namespace (idempotent); resolves with the emulator's packet counts per namespace. */
  close(): Promise<Record<string, { uplink: LinkCounts; downlink: LinkCounts } | undefined>> {
    this.closing = true;
    this.closed ??= (async () => {
      for (const timer of this.timers) clearTimeout(timer);
      const counts: Record<string, { uplink: LinkCounts; downlink: LinkCounts } | undefined> = {};
      for (const link of this.links) {
        if (link.emulator && link.emulator.exitCode === null) {
          link.emulator.kill('SIGTERM');
          const kill = setTimeout(() => link.emulator?.kill('SIGKILL'), 2000);
          counts[link.netns] = await link.emulatorCounts;
          clearTimeout(kill);
        }
        if (link.engine === 'netem') await run('ip', ['link', 'del', link.hostDevice]);
        await run('ip', ['netns', 'del', link.netns]);
      }
      return counts;
    })();
    return this.closed;
  }
}

/** Whether the kernel has netem: tried on a veth pair in a throwaway namespace. */
async function netemAvailable(): Promise<boolean> {
  if (process.env['GLASSBENCH_LINK_ENGINE'] === 'userspace') return false;
  const ns = `${PREFIX}${process.pid}-probe`;
  try {
    if ((await run('ip', ['netns', 'add', ns])).code !== 0) return false;
    if ((await run('ip', ['-n', ns, 'link', 'add', 'gbprobe0', 'type', 'veth', 'peer', 'name', 'gbprobe1'])).code !== 0)
      return false;
    return (
      (await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'gbprobe0', 'root', 'netem', 'delay', '1ms']))
        .code === 0
    );
  } finally {
    await run('ip', ['netns', 'del', ns]);
  }
}
