/**
 * The README's "Run on Kubernetes" commands against what they name: files that exist, every manifest of
 * deploy/k8s applied, the objects they wait for and the ConfigMap they make being the ones the manifests define
 * and read, and the merge's flags being flags of the CLI.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const README = readFileSync('README.md', 'utf8');

function section(): string {
  const start = README.indexOf('## Run on Kubernetes\n');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** the shell commands of the section's code block, continuation lines joined */
function commands(): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(section())?.[1] ?? '';
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** `kind/name` of every object in deploy/k8s, lower-case kinds as kubectl writes them */
function objects(): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync('deploy/k8s'))
    for (const doc of parseAllDocuments(readFileSync(join('deploy/k8s', file), 'utf8'))) {
      const js = doc.toJS() as { kind: string; metadata: { name: string } };
      out.set(`${js.kind.toLowerCase()}/${js.metadata.name}`, js as unknown as Record<string, unknown>);
    }
  return out;
}

describe('README "Run on Kubernetes"', () => {
  it('keeps the README under 10 KB', () => {
    expect(statSync('README.md').size).toBeLessThanOrEqual(10 * 1024);
  });

  it('names only files that exist, and applies every manifest of deploy/k8s', () => {
    const text = section();
    const named = [...text.matchAll(/(?:deploy|docs|scripts)\/[\w./-]+\.(?:ya?ml|md|sh|txt)/g)].map((m) => m[0]);

    expect(named.length).toBeGreaterThan(0);
    for (const path of named) expect(existsSync(path), path).toBe(true);
    expect(existsSync('Dockerfile')).toBe(true);
    const applied = new Set(named.filter((p) => p.startsWith('deploy/k8s/')));
    expect([...applied].sort()).toEqual(readdirSync('deploy/k8s').map((f) => `deploy/k8s/${f}`));
  });

  it('replaces the image every manifest names', () => {
    const seds = commands().filter((c) => c.startsWith('sed '));
    expect(seds.length).toBeGreaterThan(0);
    for (const sed of seds) {
      expect(sed).toContain('"s|glassbench:latest|$IMAGE|"');
      const file = /(deploy\/k8s\/\S+)/.exec(sed)?.[1] ?? '';
      expect(readFileSync(file, 'utf8')).toContain('image: glassbench:latest');
    }
    for (const file of readdirSync('deploy/k8s')) {
      const text = readFileSync(join('deploy/k8s', file), 'utf8');
      if (!text.includes('image: glassbench:latest')) continue;
      expect(
        seds.some((s) => s.includes(`deploy/k8s/${file}`)),
        file,
      ).toBe(true);
    }
  });

  it('waits for, forwards and deletes objects the manifests define', () => {
    const defined = objects();
    const referenced = commands()
      .concat(section().match(/`kubectl delete [^`]+`/g) ?? [])
      .filter((c) => /kubectl (wait|port-forward|delete)/.test(c))
      .flatMap((c) => [...c.matchAll(/\b(deployment|job|service|configmap)\/([\w-]+)/g)].map((m) => `${m[1]}/${m[2]}`));

    expect(referenced).toEqual(expect.arrayContaining(['job/glassbench-shards', 'service/influxdb']));
    for (const ref of referenced) {
      if (ref === 'configmap/glassbench-run') continue; // made by the commands themselves
      expect(defined.has(ref), ref).toBe(true);
    }
  });

  it("makes the ConfigMap the Job reads, with the keys its command uses, and merges from the Job's database", () => {
    const create = commands().find((c) => c.startsWith('kubectl create configmap')) ?? '';
    const job = objects().get('job/glassbench-shards');
    const container = (job as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template
      .spec.containers[0];
    const script = (container?.['args'] as string[]).join(' ');

    expect(create).toMatch(/^kubectl create configmap glassbench-run /);
    expect(container?.['envFrom']).toEqual([{ configMapRef: { name: 'glassbench-run' } }]);
    for (const [, key] of create.matchAll(/--from-literal=(\w+)=/g)) expect(script).toContain(`"$${key ?? ''}"`);
    const merge = commands().find((c) => c.includes('glassbench report')) ?? '';
    expect(merge).toContain('--influx --testid "$TESTID"');
    const db = /--influx-db (\S+)/.exec(merge)?.[1];
    expect(script).toContain(`--influx-db ${db ?? '?'}`);
    const cli = readFileSync('src/cli/parser.ts', 'utf8');
    for (const [, flag] of merge.matchAll(/\s--([a-z][a-z-]*)/g)) expect(cli).toContain(`.option('${flag ?? ''}'`);
  });
});
