/**
 * FromSchema: the normalisers' raw types come from the JSON schema. These assertions are checked by the type
 * checker (`npm run typecheck`); a schema change that the types no longer follow fails to compile here.
 */
import { Ajv } from 'ajv';
import { describe, expect, expectTypeOf, it } from 'vitest';

import type { RawAiStage, RawExecutor, RawLink, RawScenario } from '../../../src/scenario/schema.js';
import type { FromSchema } from '../../../src/scenario/schema-type.js';

describe('FromSchema', () => {
  it('derives required and optional keys, enums, type lists, arrays and maps', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['a'],
      properties: {
        a: { type: 'integer', minimum: 1 },
        b: { type: ['string', 'number'] },
        c: { enum: ['x', 'y'] },
        d: { type: 'array', items: { type: 'boolean' } },
        e: { type: 'object', additionalProperties: { type: 'string' } },
        f: { type: ['array', 'string'], items: { type: 'number' } },
        g: { type: 'object' },
      },
    } as const;
    expectTypeOf<FromSchema<typeof schema>>().toEqualTypeOf<{
      a: number;
      b?: string | number;
      c?: 'x' | 'y';
      d?: boolean[];
      e?: Record<string, string>;
      f?: number[] | string;
      g?: Record<string, unknown>;
    }>();
    // and a value of that type is one the schema admits
    const value: FromSchema<typeof schema> = { a: 1, b: '2', c: 'x', d: [true], e: { k: 'v' }, f: 'gpus', g: {} };
    expect(new Ajv({ allowUnionTypes: true }).validate(schema, value)).toBe(true);
  });

  it('types the scenario schema as the normalisers read it', () => {
    expectTypeOf<RawScenario['name']>().toEqualTypeOf<string>();
    expectTypeOf<RawScenario['duration']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<RawScenario['peers'][number]['role']>().toEqualTypeOf<'publisher' | 'subscriber'>();
    expectTypeOf<RawScenario['thresholds']>().toEqualTypeOf<
      Record<string, (string | Record<string, unknown>)[]> | undefined
    >();
    expectTypeOf<RawExecutor['type']>().toEqualTypeOf<'constant-peers' | 'ramping-peers' | 'arrival-rate'>();
    expectTypeOf<NonNullable<RawExecutor['stages']>[number]>().toEqualTypeOf<{
      duration: string | number;
      target: number;
    }>();
    expectTypeOf<RawLink['loss']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<RawAiStage['name']>().toEqualTypeOf<'decode' | 'inference' | 'encode'>();
  });
});
