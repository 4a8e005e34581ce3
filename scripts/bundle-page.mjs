// Bundles the page-side code (src/browser/page) into one script that puppeteer injects into each page.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/browser/page/main.ts'],
  bundle: true,
  format: 'iife',
  target: 'chrome120',
  outfile: 'dist/page/glassbench-page.js',
  sourcemap: 'inline',
  logLevel: 'warning',
});
