// Bundles the page-side code into scripts for the browser: the peer page (src/browser/page), which puppeteer
// injects into each page, and the report page (src/report/page), which src/report/html.ts inlines into report.html.
import { build } from 'esbuild';

const common = { bundle: true, format: 'iife', target: 'chrome120', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['src/browser/page/main.ts'],
  outfile: 'dist/page/glassbench-page.js',
  sourcemap: 'inline',
});
// no source map: report.html is one self-contained file people mail around, and the script is short
await build({ ...common, entryPoints: ['src/report/page/main.ts'], outfile: 'dist/page/glassbench-report.js' });
