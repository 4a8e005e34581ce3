// Writes dist/build-info.json: the commit glassbench was built from (GLASSBENCH_COMMIT, else git's HEAD, else
// "unknown"), which `glassbench --version` prints and every summary carries (environment.glassbenchCommit).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import process from 'node:process';

function headCommit() {
  try {
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    return dirty.trim() === '' ? head : `${head}-dirty`;
  } catch {
    return 'unknown';
  }
}

mkdirSync('dist', { recursive: true });
const commit = process.env.GLASSBENCH_COMMIT || headCommit();
writeFileSync('dist/build-info.json', `${JSON.stringify({ commit })}\n`);
