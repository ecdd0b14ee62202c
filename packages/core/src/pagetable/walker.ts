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

  constructor(public memory: PhysicalMemory) {}

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
  if (!(input >= 0 && input < 2 ** format.inputBits)) {
    state.fault = 'inputRange';
    return WalkStop.FAULT;
  }
  let table = root;
  const entry = state.entry;
  for (let depth = 0; depth < format.levels; depth++) {
    state.depth = depth;
    const index = Math.floor(input / 2 ** format.shifts[depth]!) % 2 ** format.indexBits[depth]!;
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
      const size = 2 ** state.leafShift;
      state.output = state.next + (input % size);
      return WalkStop.OK;
    }
    table = state.next;
  }
  // A table entry at the last level: formats classify that as invalid, but never loop past the levels.
  state.fault = 'translation';
  return WalkStop.FAULT;
}
