/**
 * Type-level and table helpers shared by the SMMUv3 structure layouts: typed values derived from a field
 * table, and the "everything not named is RES0" complement that commands use [SPEC 4.1.5].
 * @packageDocumentation
 */
import type { FieldSpec } from '@viommu/core';

/** The decoded type of one field: `bigint` when the spec declares it `big`, else `number`. */
export type FieldValueOf<F> = F extends {
  /** Matches field specs declared `big: true` (wider than 53 bits once shifted). */
  readonly big: true;
}
  ? bigint
  : number;

/**
 * The decoded values of a field table, keyed by field name, each typed `number` or `bigint` as
 * core's `StructureLayout.decode` returns it.
 */
export type ValuesOf<Fs extends readonly FieldSpec[]> = {
  -readonly [F in Fs[number] as F['name']]: FieldValueOf<F>;
};

/**
 * The bit ranges of a `bits`-wide structure that no field covers, as `[hi, lo]` pairs, minus the ranges in
 * `unchecked` (bits whose meaning this model does not decode and therefore must not call reserved).
 */
export function reservedComplement(
  bits: number,
  fields: readonly FieldSpec[],
  unchecked: readonly (readonly [number, number])[] = [],
): [number, number][] {
  const used = new Uint8Array(bits);
  for (const f of fields) used.fill(1, f.lo, f.hi + 1);
  for (const [hi, lo] of unchecked) used.fill(1, lo, hi + 1);
  const out: [number, number][] = [];
  let start = -1;
  for (let b = 0; b <= bits; b++) {
    const free = b < bits && used[b] === 0;
    if (free && start < 0) start = b;
    if (!free && start >= 0) {
      out.push([b - 1, start]);
      start = -1;
    }
  }
  return out;
}
