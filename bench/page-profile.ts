/**
 * `node dist/bench/page-profile.js`: where a browser page's main thread spends its time. Starts a Chromium with
 * glassbench's flags, runs 1 browser publisher and 2 browser subscriber pages (640x360, 30 fps) in it through
 * `browser.wsEndpoint`, and takes the DevTools CPU profile of every page for PROFILE_SECONDS (default 8) in the
 * middle of the hold. Prints, per page, its busy share and the functions with the most self time (native calls
 * such as drawImage show under their own name), and writes the summaries to bench/results/page-profile.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import puppeteer, { type CDPSession } from 'puppeteer-core';

import { runScenario } from '../src/orchestrator/runner.js';
import { CHROMIUM_FLAGS, chromiumPath } from '../src/peers/browser/browser-host.js';
import { scenarioFromText } from '../src/scenario/validate.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface PageProfile {
  role: 'publisher' | 'subscriber' | 'unknown';
  sampledMs: number;
  /** the share of sampled time not idle (JS, native calls, GC) */
  busyShare: number;
  top: { name: string; selfMs: number; share: number }[];
}

const SECONDS = Number(process.env['PROFILE_SECONDS'] ?? 8);

function summarise(profile: CpuProfile): PageProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const frame = byId.get(id)?.callFrame;
    const file = frame?.url.split('/').pop() ?? '';
    const name = frame
      ? `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`
      : '?';
    self.set(name, (self.get(name) ?? 0) + us);
  });
  const idle = self.get('(idle)') ?? 0;
  const names = [...self.keys()].join(' ');
  return {
    role: /readFrames|discardOlderThan/.test(names)
      ? 'subscriber'
      : /drawSlot|tick /.test(names)
        ? 'publisher'
        : 'unknown',
    sampledMs: Math.round(total / 1000),
    busyShare: total > 0 ? Math.round(((total - idle) / total) * 1000) / 1000 : 0,
    top: [...self.entries()]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 100) / 10,
        share: Math.round((us / total) * 1000) / 1000,
      })),
  };
}

async function main(): Promise<void> {
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, '--remote-debugging-port=0'],
  });
  const dir = await mkdtemp(join(tmpdir(), 'glassbench-profile-'));
  try {
    const scenario = scenarioFromText(`name: page-profile
duration: ${SECONDS + 12}s
browser: { wsEndpoint: "${browser.wsEndpoint()}" }
peers:
  - { role: publisher, kind: browser, count: 1, video: { width: 640, height: 360, fps: 30, bitrateKbps: 600 } }
  - { role: subscriber, kind: browser, count: 2 }
`);
    const run = runScenario({ scenario, runId: 'page-profile', outDir: join(dir, 'out') });
    // into the hold: the pages are connected and their frames flow
    await new Promise((r) => setTimeout(r, 12_000));
    const sessions: CDPSession[] = [];
    for (const page of await browser.pages()) {
      if (!(await page.evaluate(() => 'glassbench' in window).catch(() => false))) continue;
      const session = await page.createCDPSession();
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: 200 });
      await session.send('Profiler.start');
      sessions.push(session);
    }
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const profiles: PageProfile[] = [];
    for (const session of sessions) {
      const { profile } = (await session.send('Profiler.stop')) as unknown as { profile: CpuProfile };
      profiles.push(summarise(profile));
      await session.detach();
    }
    const { summary } = await run;
    for (const p of profiles) {
      process.stdout.write(`${p.role} page: busy ${(p.busyShare * 100).toFixed(1)}% of ${p.sampledMs} ms sampled\n`);
      for (const t of p.top)
        process.stdout.write(`  ${(t.share * 100).toFixed(2).padStart(6)}%  ${t.selfMs} ms  ${t.name}\n`);
    }
    await mkdir('bench/results', { recursive: true });
    await writeFile(
      'bench/results/page-profile.json',
      `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, status: summary.status, profiles }, null, 2)}\n`,
    );
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
