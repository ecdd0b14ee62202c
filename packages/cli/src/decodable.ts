import type { FieldValues, ReservedViolation, StructureLayout } from '@viommu/core';

/** What `viommu decode` prints for one structure. */
export interface DecodedStructure {
  /** The structure's architectural name. */
  structure: string;
  /** Every field by its architectural name (`0x…` strings for addresses and wide values). */
  fields: Record<string, number | string>;
  /** Enumerated values by name, where the field has named values. */
  meanings: Record<string, string>;
  /** Reserved ranges with set bits. */
  reserved: {
    /** The reserved range as `hi:lo` (absolute, inclusive bit numbers), e.g. `"63:56"`. */
    bits: string;
    /** The set bits found there, relative to `lo`, as `0x…` hex. */
    value: string;
  }[];
  /** Whether the structure is valid (usable by the hardware as it stands). */
  valid: boolean;
  /** Why it is not valid, when it is not. */
  problems: string[];
}

/**
 * What `viommu decode` passes to a decoder besides the words.
 * @inline
 */
export interface DecodeOptions {
  /** How many 64-bit words the user gave, before the missing trailing ones were filled with zeros. */
  givenWords64?: number;
  /** `--level N`: the paging level of a page-table entry (only for structures that list `levels`). */
  level?: number;
}

/** A structure `viommu decode` knows. */
export interface Decodable {
  /** The CLI name (`ste`, `pasid-entry`…). */
  name: string;
  /** `smmuv3` or `vtd`. */
  vendor: 'smmuv3' | 'vtd';
  /** One line for `--help`. */
  summary: string;
  /** Number of 64-bit words the structure has. */
  words64: number;
  /** The values `--level` accepts, for page-table entries; absent when the structure takes no level. */
  levels?: readonly number[];
  /** Decodes the structure's 32-bit words (`words64` × 2 of them, zero-filled). */
  decode(words: Uint32Array, options?: DecodeOptions): DecodedStructure;
}

function render(value: number | bigint, hexish: boolean): number | string {
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  return hexish ? `0x${value.toString(16)}` : value;
}

/**
 * Builds the decoded view from a core structure layout plus a validity verdict: fields with a `shift`,
 * wider than 16 bits, or named like addresses print as hex.
 */
export function decodeWithLayout(
  layout: StructureLayout<string>,
  words: Uint32Array,
  verdict: (values: FieldValues<string>, reserved: ReservedViolation[]) => string[],
  name = layout.spec.name,
): DecodedStructure {
  const values = layout.decode(words);
  const reserved = layout.reservedViolations(words);
  const fields: Record<string, number | string> = {};
  const meanings: Record<string, string> = {};
  for (const f of layout.spec.fields) {
    const v = values[f.name] ?? 0;
    const width = f.hi - f.lo + 1;
    fields[f.name] = render(v, (f.shift ?? 0) > 0 || width > 16 || /ptr|addr|ttb|base/i.test(f.name));
    const named = f.values?.[Number(v)];
    if (named !== undefined) meanings[f.name] = named;
  }
  const problems = verdict(values, reserved);
  return {
    structure: name,
    fields,
    meanings,
    reserved: reserved.map((r) => ({ bits: `${r.hi}:${r.lo}`, value: `0x${r.value.toString(16)}` })),
    valid: problems.length === 0,
    problems,
  };
}
