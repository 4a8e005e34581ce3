/**
 * deploy/k8s against the Kubernetes schema (kubernetes-models: the API's OpenAPI schema, compiled), with unknown
 * fields refused as `kubectl apply` refuses them; and the manifests consistent with glassbench itself: the
 * embedded scenario validates, the Indexed Job's pod index becomes --shard i/n with n = completions, and every
 * flag the manifests and the CI example pass exists in the CLI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { scenarioFromText } from '../../../src/scenario/validate.js';
import { strictlyValid } from '../../fixtures/strict-k8s.js';

const K8S = 'deploy/k8s';
const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
} as const;

interface Manifest {
  file: string;
  doc: Record<string, unknown>;
}

function manifests(): Manifest[] {
  return readdirSync(K8S)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => {
        expect(d.errors, file).toEqual([]);
        return { file, doc: d.toJS() as Record<string, unknown> };
      }),
    );
}

function byKind(kind: string, name: string): Record<string, unknown> {
  const found = manifests().find(
    (m) => m.doc['kind'] === kind && (m.doc['metadata'] as { name: string }).name === name,
  );
  if (!found) throw new Error(`no ${kind} ${name} in ${K8S}`);
  return found.doc;
}

/** `path.to.field` of a parsed manifest */
function at(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], doc);
}

describe('deploy/k8s', () => {
  it('holds the shard Job, InfluxDB and the reference SFU', () => {
    expect(readdirSync(K8S).sort()).toEqual(['glassbench-shards.yaml', 'influxdb.yaml', 'reference-sfu.yaml']);
  });

  it('every manifest is valid against the Kubernetes schema, unknown fields included', () => {
    const all = manifests();
    expect(all.length).toBe(6);
    for (const { file, doc } of all) {
      const key = `${String(doc['apiVersion'])}/${String(doc['kind'])}`;
      const Model = MODELS[key as keyof typeof MODELS];
      expect(Model, `${file}: no schema for ${key}`).toBeDefined();
      expect(strictlyValid(new Model(doc as never)), `${file} ${key}`).toEqual([]);
    }
  });

  it('the strict check catches what the schema alone lets through', () => {
    const job = structuredClone(byKind('Job', 'glassbench-shards'));
    (at(job, 'spec') as Record<string, unknown>)['completionz'] = 4;
    (at(job, 'spec.template.spec.containers') as Record<string, unknown>[])[0]!['envv'] = [];
    const badType = structuredClone(byKind('Job', 'glassbench-shards'));
    (at(badType, 'spec') as Record<string, unknown>)['completions'] = 'four';

    expect(strictlyValid(new Job(job as never))).toEqual([
      'unknown field /spec/completionz',
      'unknown field /spec/template/spec/containers/0/envv',
    ]);
    expect(strictlyValid(new Job(badType as never))).toEqual(['/spec/completions must be integer']);
  });

  it("the Job is Indexed and turns each pod's index into its shard, with n equal to completions", () => {
    const job = byKind('Job', 'glassbench-shards');
    const completions = at(job, 'spec.completions');
    const container = (at(job, 'spec.template.spec.containers') as Record<string, unknown>[])[0];
    const script = (container?.['args'] as string[]).join(' ');

    expect(at(job, 'spec.completionMode')).toBe('Indexed');
    expect(at(job, 'spec.parallelism')).toBe(completions);
    expect(script).toContain(`--shard "$((JOB_COMPLETION_INDEX + 1))/${String(completions)}"`);
    expect(script).toContain('--testid "$TESTID" --start-at "$START_AT"');
    expect(script).toContain('--influx-url http://influxdb:8086 --influx-db glassbench');
    expect(container?.['envFrom']).toEqual([{ configMapRef: { name: 'glassbench-run' } }]);
    expect(at(byKind('Service', 'influxdb'), 'spec.ports')).toEqual([{ name: 'http', port: 8086, targetPort: 8086 }]);
    const influx = (at(byKind('Deployment', 'influxdb'), 'spec.template.spec.containers') as { env: unknown }[])[0];
    expect(influx?.env).toContainEqual({ name: 'INFLUXDB_DB', value: 'glassbench' });
  });

  it("the scenario in the ConfigMap is valid and targets the reference SFU's Service", () => {
    const text = (at(byKind('ConfigMap', 'glassbench-scenario'), 'data') as Record<string, unknown>)['sharded.yaml'];
    expect(typeof text).toBe('string');
    const scenario = scenarioFromText(String(text), 'glassbench-shards.yaml sharded.yaml');
    const port = (at(byKind('Service', 'glassbench-sfu'), 'spec.ports') as { port: number }[])[0]?.port;

    expect(scenario.target).toMatchObject({
      type: 'external',
      whipUrl: `http://glassbench-sfu:${String(port)}/whip/{room}`,
    });
  });

  it('the reference SFU binds every address and announces its pod IP', () => {
    const sfu = (
      at(byKind('Deployment', 'glassbench-sfu'), 'spec.template.spec.containers') as Record<string, unknown>[]
    )[0];

    expect(sfu?.['args']).toEqual(expect.arrayContaining(['sfu', '--host', '0.0.0.0', '--announce', '$(POD_IP)']));
    expect(sfu?.['env']).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  });
});

/**
 * Commands whose flags are checked against src/cli/parser.ts. `sfu` joins when the network flags (--announce,
 * --udp-ports) are merged.
 */
const CHECKED_COMMANDS = ['run', 'report', 'sfu'];

/** every string in a parsed YAML document, nested ones too */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** glassbench command lines (what follows `main.js `) in the strings of a YAML file */
function commandLines(file: string): string[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as unknown);
  return strings(docs).flatMap((text) => [...text.matchAll(/main\.js ([^\n]+)/g)].map((m) => m[1] ?? ''));
}

describe('flags in deploy/', () => {
  const cli = readFileSync('src/cli/parser.ts', 'utf8');
  const known = new Set([...cli.matchAll(/\.option\('([a-z-]+)'/g)].map((m) => m[1]));

  it.each(['deploy/k8s/glassbench-shards.yaml', 'deploy/ci/github-actions-shards.yml'])(
    '%s passes only flags the CLI has',
    (file) => {
      const lines = commandLines(file).filter((l) => CHECKED_COMMANDS.includes(l.split(' ')[0] ?? ''));

      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines)
        for (const [, flag] of line.matchAll(/(?:^|\s)--([a-z][a-z-]*)/g))
          expect(known.has(flag), `${file}: --${flag ?? ''}`).toBe(true);
    },
  );
});
