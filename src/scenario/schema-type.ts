/**
 * `FromSchema<S>`: the TypeScript type of the values a JSON schema (written `as const`) admits, for the subset of
 * JSON Schema that schema.ts uses: `type` (one name or a list), `enum`, `properties` with `required`,
 * `additionalProperties` as a schema, and `items`. Range keywords (minimum, pattern...) narrow nothing a type can
 * say and are ignored. Deriving the type from the schema keeps the two from drifting apart: a key added to the
 * schema is a key the normalisers can read, and a key they read that the schema lacks does not compile.
 */

/** A name in a schema's `type`, as a TypeScript type (`object` and `array` without `properties` or `items`). */
type TypeName<N, S> = N extends 'string'
  ? string
  : N extends 'number' | 'integer'
    ? number
    : N extends 'boolean'
      ? boolean
      : N extends 'null'
        ? null
        : N extends 'array'
          ? S extends { items: infer I }
            ? FromSchema<I>[]
            : unknown[]
          : N extends 'object'
            ? ObjectOf<S>
            : never;

/** Flattens an intersection so editors show one object type. */
type Flat<T> = { [K in keyof T]: T[K] } & unknown;

type RequiredKeys<S> = S extends { required: readonly (infer R)[] } ? R : never;

type ObjectOf<S> = S extends { properties: infer P }
  ? Flat<
      { -readonly [K in keyof P & RequiredKeys<S>]: FromSchema<P[K]> } & {
        -readonly [K in Exclude<keyof P, RequiredKeys<S>>]?: FromSchema<P[K]>;
      }
    >
  : S extends { additionalProperties: infer A }
    ? A extends boolean
      ? Record<string, unknown>
      : Record<string, FromSchema<A>>
    : Record<string, unknown>;

export type FromSchema<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { type: readonly (infer N)[] }
    ? TypeName<N, S>
    : S extends { type: infer N }
      ? TypeName<N, S>
      : unknown;
