/**
 * The one walker every format uses. It reads descriptors through a {@link TableFetcher} — plain memory for a
 * single stage, or stage 2 for the tables of a nested stage 1 — so the same loop serves every case.
 * @packageDocumentation
 */
import type { U64 } from '../u64';
import type { PhysicalMemory } from '../memory/physical-memory';
import { EntryKind, type PageTableFormat, type WalkState } from './format';

/**
 * Reads (and, for A/D updates, writes) descriptors at addresses of a stage's table address space. A
 * failed fetch returns false; the fetcher itself records why (external abort, or a stage-2 fault for a
 * nested stage-1 table), and the walker stops.
 */
export interface TableFetcher {
  /** Reads the 8-byte descriptor at `address`, the entry of the table at `depth`. */
  fetch(address: number, depth: number, out: U64): boolean;
  /** Writes back an updated descriptor (A/D flags). */
  update(address: number, depth: number, hi: number, lo: number): boolean;
}

/** A fetcher reading straight from physical memory; a failed access is an external abort. */
export class MemoryFetcher implements TableFetcher {
  /** True when the last failure was an external abort on this memory. */
  aborted = false;
  /** Address of the last failed access. */
  abortAddress = 0;

  constructor(
    /** The memory descriptors are read from (and A/D updates written to). */
    public memory: PhysicalMemory,
  ) {}

  fetch(address: number, _depth: number, out: U64): boolean {
    if (this.memory.read64(address, out)) return true;
    this.aborted = true;
    this.abortAddress = address;
    return false;
  }

  update(address: number, _depth: number, hi: number, lo: number): boolean {
    if (this.memory.write64(address, hi, lo)) return true;
    this.aborted = true;
    this.abortAddress = address;
    return false;
  }
}

/** Why {@link walkStage} stopped without a leaf. */
export const WalkStop = {
  /** A leaf was found and the access is permitted: `state.output` holds the output address. */
  OK: 0,
  /** The format reported a fault: see `state.fault`. */
  FAULT: 1,
  /** The fetcher failed (external abort or stage-2 fault): ask the fetcher. */
  FETCH: 2,
} as const;
/** One of {@link WalkStop}'s values. */
export type WalkStopValue = (typeof WalkStop)[keyof typeof WalkStop];

/** 2^n for n = 0..64: exact powers of two without calling `Math.pow` (slow with a variable exponent). */
const POW2 = Float64Array.from({ length: 65 }, (_, n) => 2 ** n);

/**
 * Index of the input bits `[shift, shift + bits)` given the input's halves (`hi` = bits 63:32, `lo` = bits
 * 31:0): int32 shifts only, where `Math.floor(input / 2 ** shift) % 2 ** bits` would cost a `Math.pow` and a
 * floating-point remainder per level.
 */
function indexOf(hi: number, lo: number, shift: number, bits: number): number {
  let v: number;
  if (shift >= 32) v = hi >>> (shift - 32);
  else if (shift === 0) v = lo;
  else v = (lo >>> shift) | (hi << (32 - shift));
  return bits >= 32 ? v >>> 0 : v & ((1 << bits) - 1);
}

/**
 * Walks one stage from `root` for `input` (below 2^format.inputBits, else an `inputRange` fault) and the
 * {@link Access} mask `access`. Terminates after at most `format.levels` reads whatever memory holds.
 */
export function walkStage(
  format: PageTableFormat,
  root: number,
  input: number,
  access: number,
  fetcher: TableFetcher,
  state: WalkState,
): WalkStopValue {
  state.reset();
  state.depth = 0;
  const inputBits = format.inputBits;
  if (!(input >= 0 && input < (inputBits <= 64 ? POW2[inputBits]! : 2 ** inputBits))) {
    state.fault = 'inputRange';
    return WalkStop.FAULT;
  }
  // Every index is a bit field of the input: split it once (exact for any integer below 2^64).
  const hi = Math.floor(input / 0x1_0000_0000) >>> 0;
  const lo = input >>> 0;
  const shifts = format.shifts;
  const indexBits = format.indexBits;
  let table = root;
  const entry = state.entry;
  for (let depth = 0; depth < format.levels; depth++) {
    state.depth = depth;
    const shift = shifts[depth]!;
    const bits = indexBits[depth]!;
    const index = shift + bits <= 64 && bits <= 32 ? indexOf(hi, lo, shift, bits) : Math.floor(input / 2 ** shift) % 2 ** bits;
    const address = table + index * 8;
    state.entryAddress = address;
    if (!fetcher.fetch(address, depth, entry)) return WalkStop.FETCH;
    state.setHi = 0;
    state.setLo = 0;
    const kind = format.decode(entry.hi, entry.lo, depth, access, state);
    if (kind === EntryKind.FAULT) return WalkStop.FAULT;
    if (kind === EntryKind.INVALID) {
      state.fault = 'translation';
      return WalkStop.FAULT;
    }
    if ((state.setHi | state.setLo) !== 0) {
      const hi = (entry.hi | state.setHi) >>> 0;
      const lo = (entry.lo | state.setLo) >>> 0;
      if (hi !== entry.hi || lo !== entry.lo) {
        if (!fetcher.update(address, depth, hi, lo)) return WalkStop.FETCH;
        entry.hi = hi;
        entry.lo = lo;
      }
    }
    if (kind === EntryKind.LEAF) {
      const leafShift = state.leafShift;
      const size = leafShift <= 64 ? POW2[leafShift]! : 2 ** leafShift;
      // input % size, without a floating-point remainder (exact: size is a power of two).
      state.output = state.next + (input - Math.floor(input / size) * size);
      return WalkStop.OK;
    }
    table = state.next;
  }
  // A table entry at the last level: formats classify that as invalid, but never loop past the levels.
  state.fault = 'translation';
  return WalkStop.FAULT;
}
