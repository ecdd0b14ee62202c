/**
 * A small TEST-ONLY page-table format. Core ships no vendor format, so the engine's tests run over this one:
 * a radix tree of 8-byte descriptors, 4 KiB granule, 9 index bits per level (the root may have more), with
 * just enough features to exercise every path of the walker, builder and nested pipeline.
 *
 * Descriptor layout (64 bits):
 * - bit 0   V   valid
 * - bit 1   T   table (1) or leaf (0). A table at the last depth, and a leaf at a depth listed in
 *               `noLeafDepths`, are invalid (a translation fault), as ARM treats a block where none is allowed.
 * - bit 2   R   read    ┐ on a table entry: a 0 removes the right for everything below it (accumulated in
 * - bit 3   W   write   │ `state.acc0` as a mask of *denied* bits, AND-ed down the walk like x86's R/W and U/S)
 * - bit 4   X   execute │
 * - bit 5   U   user    ┘ (stage 1 only; ignored at stage 2, which knows no privilege)
 * - bit 6   A   accessed (leaves only). Clear: an `access` fault, or with `hwAccessFlag` the format asks
 *               the walker to set it (`state.setLo`) once the access is known to be permitted.
 * - bits 8:7    attribute index (reported in `state.attrs`)
 * - bit 9   nG  not global (stage 1 leaves only)
 * - bits 51:12  address: next table, or output (a leaf's address bits below its block size are ignored)
 * - bits 62:52  reserved: any set bit is a `reserved` fault
 * - bits 11:10 and 63 ignored (software use)
 * An address at or above 2^outputBits is an `addressSize` fault. Check order: valid/type, reserved,
 * address size, access flag, permission.
 */
import { Access, EntryKind, Perm, type EntryKindValue, type MapProt, type PageTableFormat, type WalkState } from '../../src/pagetable/format';
import type { U64 } from '../../src/u64';

/** Descriptor bits of the toy format. */
export const TOY = {
  V: 1,
  T: 2,
  R: 4,
  W: 8,
  X: 16,
  U: 32,
  A: 64,
  ATTR_SHIFT: 7,
  NG: 512,
  /** Reserved bits 62:52 within the high word. */
  RESERVED_HI: 0x7ff0_0000,
  /** Address bits 51:32 within the high word. */
  ADDR_HI: 0x000f_ffff,
  /** Address bits 31:12 within the low word. */
  ADDR_LO: 0xffff_f000,
} as const;

/** Options of {@link createToyFormat}. */
export interface ToyFormatOptions {
  /** Number of levels, 2..4. */
  levels: number;
  /** Granule (smallest page) shift; only 12 is supported. */
  granuleShift?: 12;
  /** Index bits of every non-root level; only 9 is supported. */
  indexBits?: 9;
  /** Index bits of the root (concatenated root tables); defaults to `indexBits`. */
  rootIndexBits?: number;
  /** Output address width (≤ 52). */
  outputBits: number;
  /** Stage 1 has a user bit and nG; stage 2 grants both privileges the same rights. */
  stage: 1 | 2;
  /** Depths where a leaf is not allowed. */
  noLeafDepths?: readonly number[];
  /** Hardware access-flag update: set A instead of faulting. */
  hwAccessFlag?: boolean;
}

const PERM_BITS = TOY.R | TOY.W | TOY.X | TOY.U;

/** The low half of a non-negative integer number. */
const lowOf = (v: number) => v >>> 0;
/** The high half of a non-negative integer number below 2^64. */
const highOf = (v: number) => Math.floor(v / 0x1_0000_0000) >>> 0;

/** Builds a toy format instance. */
export function createToyFormat(options: ToyFormatOptions): PageTableFormat & { readonly options: ToyFormatOptions } {
  const { levels, outputBits, stage } = options;
  const granuleShift = options.granuleShift ?? 12;
  const bits = options.indexBits ?? 9;
  if (levels < 2 || levels > 4 || granuleShift !== 12 || bits !== 9) throw new RangeError('unsupported toy format');
  const rootBits = options.rootIndexBits ?? bits;
  const shifts = Array.from({ length: levels }, (_, d) => granuleShift + bits * (levels - 1 - d));
  const indexBits = Array.from({ length: levels }, (_, d) => (d === 0 ? rootBits : bits));
  const archLevels = Array.from({ length: levels }, (_, d) => 4 - levels + d);
  const noLeaf = new Set(options.noLeafDepths ?? []);
  const leafDepths = Array.from({ length: levels }, (_, d) => !noLeaf.has(d));
  const inputBits = shifts[0]! + rootBits;
  const outputLimit = 2 ** outputBits;
  const hw = options.hwAccessFlag ?? false;

  const classify = (_hi: number, lo: number, depth: number): EntryKindValue => {
    if ((lo & TOY.V) === 0) return EntryKind.INVALID;
    if (lo & TOY.T) return depth < levels - 1 ? EntryKind.TABLE : EntryKind.INVALID;
    return leafDepths[depth] ? EntryKind.LEAF : EntryKind.INVALID;
  };
  const rawAddress = (hi: number, lo: number) => (hi & TOY.ADDR_HI) * 0x1_0000_0000 + ((lo & TOY.ADDR_LO) >>> 0);
  const address = (hi: number, lo: number, depth: number): number => {
    const raw = rawAddress(hi, lo);
    if (lo & TOY.T) return raw;
    const size = 2 ** shifts[depth]!;
    return Math.floor(raw / size) * size;
  };

  return {
    options,
    name: `toy stage ${stage}, ${levels} levels, ${outputBits}-bit output${hw ? ', HW AF' : ''}`,
    levels,
    inputBits,
    outputBits,
    shifts,
    indexBits,
    archLevels,
    leafDepths,
    granuleShift,
    classify,
    address,
    decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue {
      const kind = classify(hi, lo, depth);
      if (kind === EntryKind.INVALID) return kind;
      if ((hi & TOY.RESERVED_HI) !== 0) {
        state.fault = 'reserved';
        return EntryKind.FAULT;
      }
      const addr = address(hi, lo, depth);
      if (addr >= outputLimit) {
        state.fault = 'addressSize';
        return EntryKind.FAULT;
      }
      if (kind === EntryKind.TABLE) {
        state.acc0 |= ~lo & (stage === 1 ? PERM_BITS : PERM_BITS & ~TOY.U);
        state.next = addr;
        return kind;
      }
      const granted = lo & ~state.acc0;
      const r = (granted & TOY.R) !== 0;
      const w = (granted & TOY.W) !== 0;
      const x = (granted & TOY.X) !== 0;
      const rights = (r ? Perm.UR : 0) | (w ? Perm.UW : 0) | (x ? Perm.UX : 0);
      const user = stage === 2 || (granted & TOY.U) !== 0;
      const permitted = (rights << 3) | (user ? rights : 0);
      const accessed = (lo & TOY.A) !== 0;
      if (!accessed && !hw) {
        state.fault = 'access';
        return EntryKind.FAULT;
      }
      if (!permissionOk(access, permitted)) {
        state.fault = 'permission';
        state.faultDetail =
          (access & Access.PRIV) === 0 && !user ? 'user'
          : access & Access.READ && !r ? 'read'
          : access & Access.WRITE && !w ? 'write'
          : 'exec';
        return EntryKind.FAULT;
      }
      if (!accessed) state.setLo |= TOY.A;
      state.next = addr;
      state.leafShift = shifts[depth]!;
      state.permitted = permitted;
      state.cachePermitted = permitted;
      state.attrs = (lo >>> TOY.ATTR_SHIFT) & 3;
      state.global = stage === 2 || (lo & TOY.NG) === 0;
      return kind;
    },
    encodeTable(next: number, _depth: number, out: U64): void {
      out.hi = highOf(next) & TOY.ADDR_HI;
      out.lo = ((lowOf(next) & TOY.ADDR_LO) | TOY.V | TOY.T | PERM_BITS) >>> 0;
    },
    encodeLeaf(output: number, _depth: number, prot: MapProt, out: U64): void {
      let lo = TOY.V;
      if (prot.read) lo |= TOY.R;
      if (prot.write) lo |= TOY.W;
      if (prot.exec) lo |= TOY.X;
      if (prot.user && stage === 1) lo |= TOY.U;
      if (prot.accessed ?? true) lo |= TOY.A;
      if (prot.global === false && stage === 1) lo |= TOY.NG;
      lo |= ((prot.attrIndex ?? 0) & 3) << TOY.ATTR_SHIFT;
      out.hi = highOf(output) & TOY.ADDR_HI;
      out.lo = ((lowOf(output) & TOY.ADDR_LO) | lo) >>> 0;
    },
    splitLeaf(hi: number, lo: number, _depth: number, output: number, out: U64): void {
      out.hi = ((hi & ~TOY.ADDR_HI) | (highOf(output) & TOY.ADDR_HI)) >>> 0;
      out.lo = ((lo & ~TOY.ADDR_LO) | (lowOf(output) & TOY.ADDR_LO)) >>> 0;
    },
  };
}

function permissionOk(access: number, permitted: number): boolean {
  let need = 0;
  if (access & Access.READ) need |= Perm.UR;
  if (access & Access.WRITE) need |= Perm.UW;
  if (access & Access.EXEC) need |= Perm.UX;
  if (access & Access.PRIV) need <<= 3;
  return (permitted & need) === need;
}

/** Encodes a toy descriptor from its parts as a bigint (test vectors and the reference models). */
export function toyEntry(parts: {
  address?: bigint | number;
  valid?: boolean;
  table?: boolean;
  r?: boolean;
  w?: boolean;
  x?: boolean;
  u?: boolean;
  a?: boolean;
  ng?: boolean;
  attr?: number;
  extra?: bigint;
}): bigint {
  let v = BigInt(parts.address ?? 0) & 0x000f_ffff_ffff_f000n;
  if (parts.valid ?? true) v |= 1n;
  if (parts.table) v |= 2n;
  if (parts.r) v |= 4n;
  if (parts.w) v |= 8n;
  if (parts.x) v |= 16n;
  if (parts.u) v |= 32n;
  if (parts.a ?? true) v |= 64n;
  if (parts.attr) v |= BigInt(parts.attr & 3) << 7n;
  if (parts.ng) v |= 512n;
  return v | (parts.extra ?? 0n);
}
