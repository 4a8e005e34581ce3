/**
 * The import boundary of eslint.config.js, checked on made-up sources: the harness may not import the reference
 * server (but the sfu command that starts it may), the server may import only the protocol and leaf utilities,
 * and the protocol imports nothing outside itself.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function boundaryErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const use = (name: string): string => `export type Used = ${name};\n`;

describe('the import boundary', () => {
  it('refuses a harness module that imports the reference server', async () => {
    const errors = await boundaryErrors(
      'src/metrics/example.ts',
      `import type { SfuOptions } from '../../reference-server/sfu/types.js';\n${use('SfuOptions')}`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/src\/ imports reference-server\/ only where it starts it/);
  });

  it('lets the sfu command start the server, and only through server.ts', async () => {
    expect(
      await boundaryErrors(
        'src/cli/sfu-command.ts',
        `import { ReferenceServer } from '../../reference-server/server.js';\n${use('ReferenceServer')}`,
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'src/cli/sfu-command.ts',
        `import type { SfuOptions } from '../../reference-server/sfu/types.js';\n${use('SfuOptions')}`,
      ),
    ).toHaveLength(1);
  });

  it('lets the server import the protocol and leaf utilities, nothing else from src/', async () => {
    const ok = `import type { TelemetryRecord } from '../../src/protocol/telemetry.js';\nimport { nowMs } from '../../src/metrics/clock.js';\n${use('TelemetryRecord')}export const t = nowMs();\n`;
    expect(await boundaryErrors('reference-server/sfu/example.ts', ok)).toEqual([]);
    const errors = await boundaryErrors(
      'reference-server/sfu/example.ts',
      `import type { Scenario } from '../../src/scenario/types.js';\n${use('Scenario')}`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/only src\/protocol\/ and leaf utilities/);
  });

  it('keeps the AI hook from importing the SFU', async () => {
    const errors = await boundaryErrors(
      'reference-server/ai/example.ts',
      `import type { SfuOptions } from '../sfu/types.js';\n${use('SfuOptions')}`,
    );
    expect(errors).toHaveLength(1);
  });

  it('keeps the protocol module to itself', async () => {
    expect(
      await boundaryErrors('src/protocol/example.ts', `import type { AiOptions } from './ai.js';\n${use('AiOptions')}`),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'src/protocol/example.ts',
        `import type { Tags } from '../metrics/types.js';\n${use('Tags')}`,
      ),
    ).toHaveLength(1);
  });
});
