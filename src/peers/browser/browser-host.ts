/**
 * One headless Chromium per peer runner (driven by puppeteer-core), with one page per browser peer. Pages
 * load a blank document from a loopback HTTP server of ours (a secure context, as 127.0.0.1 is), and the page
 * bundle is injected into each. Launch flags are the ones that work as root on a closed network.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirname } from 'node:path';

import puppeteer, { type Browser, type Page } from 'puppeteer-core';

import { GlassbenchError } from '../../errors.js';
import { utteranceCacheDir, UTTERANCES } from '../../media/utterances.js';
import { clockSkewMs } from '../../metrics/clock.js';
import { projectRoot } from '../../project-paths.js';

/** the installed @vladmandic/face-api package (its dist/ and model/ folders) */
function faceApiDir(): string {
  return dirname(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api')));
}

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--mute-audio',
];

export function chromiumPath(): string {
  const path = process.env['CHROME_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new GlassbenchError(
      'RUN_FAILED',
      `Chromium not found at ${path}: install it with "apt-get install -y chromium" (or set CHROME_PATH)`,
    );
  }
  return path;
}

export class BrowserHost {
  private browser: Browser | undefined;
  private server: Server | undefined;
  private origin = '';
  private userDataDir = '';
  private starting: Promise<void> | undefined;
  private readonly bundlePath = join(projectRoot(), 'dist', 'page', 'glassbench-page.js');
  /** the worst page's lag probe since the last `takePageLag()` (pages report once a second) */
  private pageLag: { p99Ms: number; maxMs: number } | undefined;
  /** called once if the browser goes away while peers use it */
  onDisconnected: (reason: string) => void = () => undefined;
  private closing = false;

  /** `wsEndpoint`: connect to a running browser instead of launching one (its pages must reach this host) */
  constructor(private readonly wsEndpoint?: string) {}

  /** the launched browser's process; undefined for a connected (remote) browser, whose CPU is not ours to see */
  get pid(): number | undefined {
    return this.browser?.process()?.pid ?? undefined;
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      if (!existsSync(this.bundlePath))
        throw new GlassbenchError('RUN_FAILED', `${this.bundlePath} is missing: run "npm run build"`);
      this.server = createServer((req, res) => {
        const face =
          /^\/face-api\/(face-api\.js|model\/tiny_face_detector_model(?:\.bin|-weights_manifest\.json))$/.exec(
            req.url ?? '',
          );
        if (face) {
          // edge placement's face detector: the library and its model files, from the npm package
          const file =
            face[1] === 'face-api.js'
              ? join(faceApiDir(), 'dist', 'face-api.js')
              : join(faceApiDir(), face[1] as string);
          res.writeHead(200, {
            'content-type': file.endsWith('.js')
              ? 'text/javascript'
              : file.endsWith('.json')
                ? 'application/json'
                : 'application/octet-stream',
          });
          createReadStream(file)
            .on('error', () => res.destroy())
            .pipe(res);
          return;
        }
        const wav = /^\/utterances\/(u\d+)\.wav$/.exec(req.url ?? '');
        if (wav && UTTERANCES.some((u) => u.id === wav[1])) {
          res.writeHead(200, { 'content-type': 'audio/wav' });
          createReadStream(join(utteranceCacheDir(), `${wav[1]}.wav`))
            .on('error', () => res.destroy())
            .pipe(res);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><meta charset="utf-8"><title>glassbench peer</title><body style="margin:0"></body>');
      });
      await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
      this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
      if (this.wsEndpoint) {
        this.browser = await puppeteer.connect({ browserWSEndpoint: this.wsEndpoint });
        this.browser.on('disconnected', () => {
          if (!this.closing) this.onDisconnected(`the connection to the browser at ${this.wsEndpoint} was lost`);
        });
        return;
      }
      this.userDataDir = await mkdtemp(join(tmpdir(), 'glassbench-chromium-'));
      this.browser = await puppeteer.launch({
        executablePath: chromiumPath(),
        headless: true,
        userDataDir: this.userDataDir,
        args: CHROMIUM_FLAGS,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      this.browser.on('disconnected', () => {
        if (!this.closing) this.onDisconnected('the browser process went away');
      });
    })();
    return this.starting;
  }

  async newPage(): Promise<Page> {
    await this.start();
    if (!this.browser) throw new GlassbenchError('RUN_FAILED', 'the browser did not start');
    const page = await this.browser.newPage();
    await page.goto(`${this.origin}/`);
    // the test aid GLASSBENCH_TEST_CLOCK_SKEW_MS reaches the page's clock too (src/browser/page/clock.ts)
    const skewMs = clockSkewMs();
    if (skewMs !== 0)
      await page.evaluate((ms: number) => {
        (globalThis as { glassbenchClockSkewMs?: number }).glassbenchClockSkewMs = ms;
      }, skewMs);
    await page.addScriptTag({ path: this.bundlePath });
    return page;
  }

  /** A page's lag-probe seconds (polled with its records). */
  recordPageLag(samples: readonly { p99Ms: number; maxMs: number }[]): void {
    for (const s of samples) {
      this.pageLag = {
        p99Ms: Math.max(this.pageLag?.p99Ms ?? 0, s.p99Ms),
        maxMs: Math.max(this.pageLag?.maxMs ?? 0, s.maxMs),
      };
    }
  }

  /**
   * The worst page's main-thread lag since the previous call (undefined when no page reported): the browser's loop
   * delay.
   */
  takePageLag(): { p99Ms: number; maxMs: number } | undefined {
    const lag = this.pageLag;
    this.pageLag = undefined;
    return lag;
  }

  /** Idempotent: closes the browser (killing it if it does not close), the page server and the profile. */
  async close(): Promise<void> {
    this.closing = true;
    const browser = this.browser;
    this.browser = undefined;
    if (browser && this.wsEndpoint) {
      // not ours to close: leave the remote browser running, without our pages (each peer closed its own)
      await browser.disconnect().catch(() => undefined);
    } else if (browser) {
      const proc = browser.process();
      await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
      if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
    if (this.userDataDir) await rm(this.userDataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
