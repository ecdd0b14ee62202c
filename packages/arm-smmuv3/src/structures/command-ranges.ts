/**
 * The address and StreamID spans that invalidation commands cover [SPEC 4.3.2, 4.4.1.1, 4.5.1].
 * @packageDocumentation
 */
import { granuleFromTlbiTg } from './granule';

/** A span of addresses: `[start, start + length)`. */
export interface AddressSpan {
  /** First address. */
  readonly start: bigint;
  /** Length in bytes. */
  readonly length: bigint;
}

/**
 * The range a TLBI by address invalidates [SPEC 4.4.1.1]: with TG ≠ 0, (NUM + 1) × 2^SCALE granules from
 * Address (SCALE values above 39 are treated as 39); with TG == 0, `undefined` — the command then targets
 * the entries that contain Address, whatever their size.
 */
export function tlbiRange(fields: { readonly TG: number; readonly NUM: number; readonly SCALE: number; readonly Address: number | bigint }): AddressSpan | undefined {
  const granule = granuleFromTlbiTg(fields.TG);
  if (granule === undefined) return undefined;
  const scale = Math.min(fields.SCALE, 39);
  return { start: BigInt(fields.Address), length: BigInt(fields.NUM + 1) * (1n << BigInt(scale)) * (1n << BigInt(granule)) };
}

/** The StreamIDs a CMD_CFGI_STE_RANGE covers: 2^(Range+1) aligned StreamIDs; Range == 31 covers all (CMD_CFGI_ALL). */
export function cfgiSteRange(fields: { readonly StreamID: number; readonly Range: number }): {
  /** Lowest StreamID covered: StreamID aligned down to 2^(Range+1). */
  readonly first: number;
  /** Number of StreamIDs covered: 2^(Range+1), 2^32 for Range 31. */
  readonly count: number;
} {
  const size = 2 ** Math.min(fields.Range + 1, 32);
  return { first: Math.floor(fields.StreamID / size) * size, count: size };
}

/**
 * The span a CMD_ATC_INV invalidates [SPEC 4.5.1]: 4KB × 2^Size bytes, Address aligned down to the span;
 * Size 52 covers the whole 64-bit space; larger values (an UNKNOWN span architecturally) are treated as 52.
 */
export function atcInvRange(fields: { readonly Size: number; readonly Address: bigint }): AddressSpan {
  const bits = BigInt(12 + Math.min(fields.Size, 52));
  const length = 1n << bits;
  return { start: (fields.Address >> bits) << bits, length };
}
