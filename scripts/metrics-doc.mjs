// Writes docs/metrics.md from the metric catalogue (src/metrics/catalogue*.ts): `npm run docs:metrics`. esbuild
// turns the TypeScript into one module for this once, so neither a build nor a TypeScript loader is needed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stdout } from 'node:process';
import { pathToFileURL } from 'node:url';

import { build } from 'esbuild';

const dir = mkdtempSync(join(tmpdir(), 'glassbench-metrics-doc-'));
try {
  const outfile = join(dir, 'metrics-doc.mjs');
  await build({
    entryPoints: ['src/metrics/metrics-doc.ts'],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    logLevel: 'warning',
  });
  const { renderMetricsDoc } = await import(pathToFileURL(outfile).href);
  mkdirSync('docs', { recursive: true });
  writeFileSync('docs/metrics.md', renderMetricsDoc());
  stdout.write('docs/metrics.md written\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
