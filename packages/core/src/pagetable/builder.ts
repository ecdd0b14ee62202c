/**
 * The one builder every format uses: io-pgtable style `map` / `unmap` / `iovaToPhys` over tables in a
 * {@link PhysicalMemory} (host memory, or a guest's memory seen through stage 2). Mappings use the largest
 * block the format allows at each step where input, output and remaining size are aligned.
 * @packageDocumentation
 */
import { IommuError } from '../errors';
import type { TableAllocator } from '../memory/allocator';
import type { PhysicalMemory } from '../memory/physical-memory';
import type { U64 } from '../u64';
import { EntryKind, tableBytes, tableIndex, type MapProt, type PageTableFormat } from './format';

/** A leaf found by {@link PageTableBuilder.lookup}. */
export interface MappedLeaf {
  /** Input address of the block or page. */
  input: number;
  /** Output address. */
  output: number;
  /** log2 of its size. */
  shift: number;
  /** Depth it sits at. */
  depth: number;
}

/** Builds and edits one page-table tree of a format. */
export class PageTableBuilder {
  /** Root table address. */
  readonly root: number;
  private readonly scratch: U64 = { hi: 0, lo: 0 };

  /**
   * @param format the format instance.
   * @param memory where the tables live (table addresses are addresses of this memory).
   * @param allocator where new tables come from.
   * @param root an existing root table; a new zeroed one is allocated when omitted.
   */
  constructor(
    readonly format: PageTableFormat,
    readonly memory: PhysicalMemory,
    readonly allocator: TableAllocator,
    root?: number,
  ) {
    const bytes = tableBytes(format, 0);
    this.root = root ?? allocator.allocate(bytes, bytes);
  }

  private read(address: number): U64 {
    if (!this.memory.read64(address, this.scratch)) {
      throw new IommuError('MEMORY_UNBACKED', `page table at 0x${address.toString(16)} is not backed`);
    }
    return this.scratch;
  }

  private write(address: number, v: U64): void {
    if (!this.memory.write64(address, v.hi, v.lo)) {
      throw new IommuError('MEMORY_UNBACKED', `page table at 0x${address.toString(16)} is not backed`);
    }
  }

  private checkArgs(iova: number, size: number, pa?: number): void {
    const g = 2 ** this.format.granuleShift;
    const bad = (v: number) => !Number.isSafeInteger(v) || v < 0 || v % g !== 0;
    if (bad(iova) || bad(size) || size === 0 || (pa !== undefined && bad(pa))) {
      throw new IommuError(
        'MAP_ARGUMENT',
        `iova, pa and size must be non-negative multiples of the ${g}-byte granule (iova=0x${iova.toString(16)} size=0x${size.toString(16)})`,
      );
    }
    if (iova + size > 2 ** this.format.inputBits) {
      throw new IommuError('MAP_RANGE', `range ends beyond the ${this.format.inputBits}-bit input space`);
    }
    if (pa !== undefined && pa + size > 2 ** this.format.outputBits) {
      throw new IommuError('MAP_RANGE', `output range ends beyond the ${this.format.outputBits}-bit output space`);
    }
  }

  /**
   * Maps `[iova, iova + size)` to `[pa, pa + size)`. Refuses (changing nothing) to overwrite an existing
   * mapping.
   * @throws IommuError `MAP_ARGUMENT`, `MAP_RANGE`, `MAP_EXISTS`, `OUT_OF_MEMORY`
   */
  map(iova: number, pa: number, size: number, prot: MapProt): void {
    this.checkArgs(iova, size, pa);
    const mapped = this.firstMapped(iova, iova + size);
    if (mapped !== undefined) {
      throw new IommuError('MAP_EXISTS', `0x${mapped.toString(16)} is already mapped`);
    }
    let done = 0;
    while (done < size) {
      const depth = this.pickDepth(iova + done, pa + done, size - done);
      this.mapOne(iova + done, pa + done, depth, prot);
      done += 2 ** this.format.shifts[depth]!;
    }
  }

  private get granule(): number {
    return 2 ** this.format.granuleShift;
  }

  private pickDepth(iova: number, pa: number, remaining: number): number {
    const f = this.format;
    for (let depth = 0; depth < f.levels; depth++) {
      if (!f.leafDepths[depth]) continue;
      const s = 2 ** f.shifts[depth]!;
      if (iova % s === 0 && pa % s === 0 && remaining >= s) return depth;
    }
    throw new IommuError('MAP_ARGUMENT', 'no leaf level fits the granule');
  }

  private mapOne(iova: number, pa: number, leafDepth: number, prot: MapProt): void {
    const f = this.format;
    let table = this.root;
    for (let depth = 0; depth < leafDepth; depth++) {
      const address = table + tableIndex(f, iova, depth) * 8;
      const e = this.read(address);
      const kind = f.classify(e.hi, e.lo, depth);
      if (kind === EntryKind.TABLE) {
        table = f.address(e.hi, e.lo, depth);
        continue;
      }
      if (kind === EntryKind.LEAF) throw new IommuError('MAP_EXISTS', `0x${iova.toString(16)} is inside a block`);
      const bytes = tableBytes(f, depth + 1);
      const next = this.allocator.allocate(bytes, bytes);
      const out: U64 = { hi: 0, lo: 0 };
      f.encodeTable(next, depth, out);
      this.write(address, out);
      table = next;
    }
    const out: U64 = { hi: 0, lo: 0 };
    f.encodeLeaf(pa, leafDepth, prot, out);
    this.write(table + tableIndex(f, iova, leafDepth) * 8, out);
  }

  /**
   * Unmaps `[iova, iova + size)`, splitting blocks that are only partly covered. Returns the number of bytes
   * that were mapped and are now unmapped.
   * @throws IommuError `MAP_ARGUMENT`, `MAP_RANGE`, `OUT_OF_MEMORY` (splitting needs a table)
   */
  unmap(iova: number, size: number): number {
    this.checkArgs(iova, size);
    let unmapped = 0;
    let cursor = iova;
    const end = iova + size;
    while (cursor < end) {
      const step = this.unmapAt(cursor, end);
      if (step.mapped) unmapped += step.length;
      cursor += step.length;
    }
    return unmapped;
  }

  /** Unmaps what sits at `cursor` (within `[cursor, end)`), returning how far to advance. */
  private unmapAt(cursor: number, end: number): { length: number; mapped: boolean } {
    const f = this.format;
    let table = this.root;
    for (let depth = 0; depth < f.levels; depth++) {
      const span = 2 ** f.shifts[depth]!;
      const address = table + tableIndex(f, cursor, depth) * 8;
      const e = this.read(address);
      const kind = f.classify(e.hi, e.lo, depth);
      const spanEnd = Math.floor(cursor / span) * span + span;
      if (kind === EntryKind.INVALID) return { length: Math.min(spanEnd, end) - cursor, mapped: false };
      if (kind === EntryKind.TABLE) {
        table = f.address(e.hi, e.lo, depth);
        continue;
      }
      // A leaf covering [spanEnd - span, spanEnd).
      if (cursor % span === 0 && spanEnd <= end) {
        this.write(address, { hi: 0, lo: 0 });
        return { length: span, mapped: true };
      }
      this.splitBlock(address, e.hi, e.lo, depth, spanEnd - span);
      return { length: 0, mapped: false }; // walk again into the new table
    }
    return { length: this.granule, mapped: false };
  }

  private splitBlock(address: number, hi: number, lo: number, depth: number, blockInput: number): void {
    const next = this.splitTable(hi, lo, depth, blockInput);
    const out: U64 = { hi: 0, lo: 0 };
    this.format.encodeTable(next, depth, out);
    this.write(address, out);
  }

  /**
   * Builds the table one level below a leaf at `depth` that maps the same range with the same attributes.
   * Where the next level allows no leaves (VT-d with 1 GiB but not 2 MiB pages), its entries become tables
   * in turn, down to the first level that does.
   */
  private splitTable(hi: number, lo: number, depth: number, input: number): number {
    const f = this.format;
    const childDepth = depth + 1;
    const bytes = tableBytes(f, childDepth);
    const table = this.allocator.allocate(bytes, bytes);
    const output = f.address(hi, lo, depth);
    const childSpan = 2 ** f.shifts[childDepth]!;
    const count = 2 ** f.indexBits[childDepth]!;
    const out: U64 = { hi: 0, lo: 0 };
    for (let i = 0; i < count; i++) {
      f.splitLeaf(hi, lo, depth, output + i * childSpan, out);
      if (!f.leafDepths[childDepth] && childDepth + 1 < f.levels) {
        const grandchild = this.splitTable(out.hi, out.lo, childDepth, input + i * childSpan);
        f.encodeTable(grandchild, childDepth, out);
      }
      this.write(table + tableIndex(f, input + i * childSpan, childDepth) * 8, out);
    }
    return table;
  }

  /** The first mapped input address in `[start, end)`, skipping whole invalid spans; `undefined` if none. */
  firstMapped(start: number, end: number): number | undefined {
    const f = this.format;
    let cursor = start;
    outer: while (cursor < end) {
      let table = this.root;
      for (let depth = 0; depth < f.levels; depth++) {
        const span = 2 ** f.shifts[depth]!;
        const e = this.read(table + tableIndex(f, cursor, depth) * 8);
        const kind = f.classify(e.hi, e.lo, depth);
        if (kind === EntryKind.LEAF) return cursor;
        if (kind === EntryKind.INVALID) {
          cursor = Math.floor(cursor / span) * span + span;
          continue outer;
        }
        table = f.address(e.hi, e.lo, depth);
      }
      cursor += this.granule;
    }
    return undefined;
  }

  /** The output address `iova` maps to, or `undefined` when unmapped (structural walk, no permission checks). */
  iovaToPhys(iova: number): number | undefined {
    const leaf = this.lookup(iova);
    return leaf ? leaf.output + (iova - leaf.input) : undefined;
  }

  /** The leaf covering `iova`, or `undefined`. */
  lookup(iova: number): MappedLeaf | undefined {
    const f = this.format;
    if (!(iova >= 0 && iova < 2 ** f.inputBits)) return undefined;
    let table = this.root;
    for (let depth = 0; depth < f.levels; depth++) {
      const e = this.read(table + tableIndex(f, iova, depth) * 8);
      const kind = f.classify(e.hi, e.lo, depth);
      if (kind === EntryKind.INVALID) return undefined;
      if (kind === EntryKind.LEAF) {
        const shift = f.shifts[depth]!;
        const input = Math.floor(iova / 2 ** shift) * 2 ** shift;
        return { input, output: f.address(e.hi, e.lo, depth), shift, depth };
      }
      table = f.address(e.hi, e.lo, depth);
    }
    return undefined;
  }
}
