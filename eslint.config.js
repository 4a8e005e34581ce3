// ESLint flat config: typescript-eslint's recommended rules on sources, tests and benchmarks, the one clock, sorted
// imports, and the import boundary between the harness, the protocol module and the reference SFU. Layout is
// prettier's (`npm run lint` checks both; `npm run format` fixes both).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

/**
 * What reference-server/ may import from src/: the protocol module and leaf utilities (the clock, histograms,
 * the process's resources, media codecs, markers and RTP identity, project paths, a child's SIGTERM, the machine's GPUs and
 * speech engines). Anything else under src/ is the harness.
 */
const SERVER_LEAVES = [
  'protocol/[\\w-]+',
  'media/[\\w-]+',
  'metrics/(clock|histogram|resources|gpus|speech-engines)',
  'project-paths',
  'child-signals',
];
const SERVER_IMPORTS_FROM_SRC = `^(\\.\\./)+src/(?!(${SERVER_LEAVES.join('|')})\\.js$)`;
const SERVER_MESSAGE = 'reference-server/ imports from src/ only src/protocol/ and leaf utilities (eslint.config.js)';
const HARNESS_MESSAGE =
  'src/ imports reference-server/ only where it starts it (src/cli/sfu-command.ts); shared types live in src/protocol/';
const HARNESS_STARTS_SERVER = '(^|/)reference-server/(?!server\\.js$)';
const PROTOCOL_MESSAGE = 'src/protocol/ imports only its own modules: it is what harness, page and server share';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: { 'simple-import-sort/imports': 'error', 'simple-import-sort/exports': 'error' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'use nowMs() from src/metrics/clock.ts, the only time source' },
        {
          object: 'performance',
          property: 'now',
          message: 'use nowMs() from src/metrics/clock.ts, the only time source',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  // The boundary between the harness (src/) and the reference SFU (reference-server/): they share only the
  // protocol module (wire and contract types) and a few leaf utilities, so the SFU reads as a standalone server
  // and the harness could drive any other SFU. Tests and benchmarks may reach into both.
  {
    files: ['reference-server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: SERVER_IMPORTS_FROM_SRC, message: SERVER_MESSAGE }] }],
    },
  },
  {
    // the SFU hosts the AI hook, never the other way round: the hook reports through ai/reporting.ts's interfaces
    files: ['reference-server/ai/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: SERVER_IMPORTS_FROM_SRC, message: SERVER_MESSAGE },
            {
              regex: '(^|/)sfu/',
              message: 'reference-server/ai/ does not import the SFU: take an interface (ai/reporting.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '(^|/)reference-server/', message: HARNESS_MESSAGE }] }],
    },
  },
  {
    // the CLI's `glassbench sfu` runs the reference SFU in its own process: the one place that starts it by import
    files: ['src/cli/sfu-command.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: HARNESS_STARTS_SERVER, message: HARNESS_MESSAGE }] }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./', message: PROTOCOL_MESSAGE }] }],
    },
  },
  // last: turns off the rules that would fight prettier's layout
  prettier,
);
