/**
 * One list of system packages (scripts/system-packages.txt): scripts/setup-system.sh installs what is missing
 * from it, and the Dockerfile installs it through that script and nothing besides.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

const LIST = 'scripts/system-packages.txt';
const SETUP = 'scripts/setup-system.sh';

/** the list's lines: package and proving paths (comments and blank lines dropped) */
function listed(): { name: string; paths: string[] }[] {
  return readFileSync(LIST, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', ...paths] = line.split(/\s+/);
      return { name, paths };
    });
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** an empty directory standing in for / */
function fakeRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassbench-packages-'));
  dirs.push(dir);
  return dir;
}

function setupEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SYSTEM_PACKAGES_ROOT: root };
  delete env['CHROME_PATH'];
  return env;
}

function printMissing(root: string): string[] {
  const out = execFileSync('bash', [SETUP, '--print-missing'], { env: setupEnv(root), encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '');
}

describe('the system package list', () => {
  it('names each package once, each with at least one absolute path, janus and coturn among them', () => {
    const entries = listed();
    const names = entries.map((e) => e.name);

    expect(new Set(names).size).toBe(names.length);
    for (const entry of entries) {
      expect(entry.name).toMatch(/^[a-z0-9][a-z0-9.+-]+$/);
      expect(entry.paths.length, entry.name).toBeGreaterThan(0);
      for (const path of entry.paths) expect(path, entry.name).toMatch(/^\//);
    }
    expect(names).toEqual(expect.arrayContaining(['chromium', 'janus', 'coturn', 'influxdb', 'iproute2']));
  });
});

describe('scripts/setup-system.sh', () => {
  it('finds every listed package missing on an empty root, in the list order', () => {
    expect(printMissing(fakeRoot())).toEqual(listed().map((e) => e.name));
  });

  it('counts a package present only when all of its paths exist', () => {
    const root = fakeRoot();
    const entries = listed();
    const present = entries.filter((e, i) => i % 2 === 0 && e.name !== 'iproute2');
    const touch = (path: string): void => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), '');
    };
    for (const entry of present) for (const path of entry.paths) touch(path);
    const iproute = entries.find((e) => e.name === 'iproute2');
    expect(iproute?.paths.length).toBeGreaterThan(1);
    touch(iproute?.paths[0] ?? '/missing'); // ip without tc

    const missing = printMissing(root);

    expect(missing).toEqual(entries.filter((e) => !present.includes(e)).map((e) => e.name));
    expect(missing).toContain('iproute2');
  });

  it('takes CHROME_PATH for chromium instead of /usr/bin/chromium', () => {
    const out = execFileSync('bash', [SETUP, '--print-missing'], {
      env: { ...setupEnv(fakeRoot()), CHROME_PATH: process.execPath },
      encoding: 'utf8',
    });

    expect(out.split('\n')).not.toContain('chromium');
  });

  it('without root, installs nothing and prints the exact apt-get command for what is missing', () => {
    const root = fakeRoot();
    // as root, drop to nobody for this one call (setpriv is util-linux, on every Debian)
    const asRoot = process.getuid?.() === 0;
    const command = asRoot ? 'setpriv' : 'bash';
    const args = asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', SETUP] : [SETUP];

    const result = spawnSync(command, args, { env: setupEnv(root), encoding: 'utf8' });

    expect(result.status).toBe(1);
    const names = listed()
      .map((e) => e.name)
      .join(' ');
    expect(result.stderr).toContain(`install them with: sudo apt-get update && sudo apt-get install -y ${names}\n`);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));

  it('copies the list with the setup script and runs that script: it installs exactly the listed packages', () => {
    expect(instructions).toContain('COPY scripts/setup-system.sh scripts/system-packages.txt scripts/');
    const runs = instructions.filter((l) => l.startsWith('RUN '));
    expect(runs.filter((l) => l.includes('bash scripts/setup-system.sh'))).toHaveLength(1);
    // no package is named anywhere else: no apt-get of its own
    expect(runs.filter((l) => /apt-get|apt install|dpkg -i/.test(l))).toEqual([]);
  });

  it('is Debian 12 with Node 20, builds with npm ci and npm run build, and starts the CLI', () => {
    expect(instructions).toContain('ARG NODE_IMAGE=node:20-bookworm-slim');
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE}',
    ]);
    expect(instructions).toContain('RUN npm ci --ignore-scripts');
    expect(instructions.some((l) => l.startsWith('RUN npm run build'))).toBe(true);
    expect(instructions).toContain('ENTRYPOINT ["node", "/glassbench/dist/src/cli/main.js"]');
  });

  it('keeps local node_modules and dist out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});
