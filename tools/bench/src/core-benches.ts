/**
 * Core-level benches: the map-get baseline, IOTLB tag invalidation against cache size, and the cold-walk
 * cost and memory of a 1M-page stage 2 against a 1K-page one (VT-d second-level format, 4 levels, 4 KiB
 * pages only, built with core's PageTableBuilder).
 */
import { Access, Iotlb, MemoryFetcher, PageTableBuilder, PoolAllocator, SparseMemory, WalkState, walkStage, type IotlbEntry, type PageTableFormat } from '@viommu/core';
import { createSecondLevelFormat } from '@viommu/intel-vtd';
import { compare, sink, type Case, type Comparison, type HarnessOptions } from './harness';
import { distinctPages, prng, shuffle } from './random';

/** A Map.get over `keys` (integer keys, looked up in that order): the IOTLB-hit baseline. */
export function mapGetCase(keys: readonly number[]): Case {
  const map = new Map<number, number>();
  for (const k of keys) map.set(k, k * 4096);
  const order = Int32Array.from(keys);
  return {
    name: 'map-get',
    opsPerCall: order.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < order.length; i++) acc += map.get(order[i]!)!;
      sink.value += acc;
    },
  };
}

function entry(input: number): IotlbEntry {
  return { input, output: input + 0x1_0000_0000, pageShift: 12, permitted: 63, level: 1, ipa: input, hasStage1: true, hasStage2: true };
}

/**
 * `iotlb-invalidate-asid`: drop one sub-tag (ASID, 1024 entries) of 64 from a full 64K-entry IOTLB, in
 * entries dropped per second; baseline `iotlb-invalidate-asid-2k`: the same 1024 entries dropped from an
 * IOTLB of two such tags (2K entries), so that only the size of the rest of the cache differs. A ratio near
 * 1 means the cost follows what is dropped, not the cache size (a scan of the cache would give 1/32). One
 * dropped tag is far below the timer's resolution, so each timed call drops the tag from each of 16 such
 * IOTLBs; the dropped tags are refilled, untimed, after each call.
 */
export function invalidateBench(options: HarnessOptions): Comparison[] {
  const PER_TAG = 1024;
  const TAGS = 64;
  const COPIES = 16;
  const DOMAIN = 7;
  const entries = Array.from({ length: PER_TAG }, (_, i) => entry(0x4000_0000 + i * 4096));
  const make = (name: string, tags: number, scan = false): Case => {
    const tlbs = Array.from({ length: COPIES }, () => {
      const tlb = new Iotlb(tags * PER_TAG);
      for (let t = 0; t < tags; t++) for (const e of entries) tlb.insert(DOMAIN, t, e);
      if (tlb.size !== tags * PER_TAG) throw new Error(`${name}: IOTLB holds ${tlb.size}`);
      return tlb;
    });
    // Always the same tag, refilled just before: in both cases the dropped bucket was built last, so the
    // comparison shows what the size of the rest of the cache costs, not how long ago the tag was filled.
    const victim = tags - 1;
    let dropped = 0;
    const refill = () => {
      for (const tlb of tlbs) if (tlb.size < tlb.capacity) for (const e of entries) tlb.insert(DOMAIN, victim, e);
    };
    return {
      name,
      opsPerCall: COPIES * PER_TAG,
      // tinybench also calls fn once, hookless, when a task is added: refill before each call as well.
      beforeEach: refill,
      fn: () => {
        let n = 0;
        if (scan) for (let k = 0; k < COPIES; k++) n += tlbs[k]!.invalidateWhere((d, s) => d === DOMAIN && s === victim);
        else for (let k = 0; k < COPIES; k++) n += tlbs[k]!.invalidateSubTag(DOMAIN, victim);
        dropped = n;
      },
      afterEach: () => {
        if (dropped !== COPIES * PER_TAG) throw new Error(`${name}: dropped ${dropped}`);
        refill();
      },
    };
  };
  // tinybench runs a case until its *timed* total reaches the budget; a call is ~16 µs timed but its
  // untimed refill ~100× that, so the budget is scaled down to keep the wall time near the other benches'.
  const scaled = { ...options, time: options.time / 50, warmupTime: options.warmupTime / 50 };
  const baseline = make('iotlb-invalidate-asid-2k', 2);
  return [
    compare(make('iotlb-invalidate-asid', TAGS), baseline, scaled),
    // For contrast: the same drop as a predicate scan (Iotlb.invalidateWhere), which visits every entry.
    compare(make('iotlb-invalidate-where-scan', TAGS, true), baseline, scaled),
  ];
}

/** A second-level stage 2 mapping `pages` contiguous 4 KiB pages from IOVA 0, tables only. */
export interface Stage2Tables {
  readonly format: PageTableFormat;
  readonly memory: SparseMemory;
  readonly root: number;
  /** Bytes of table memory in use. */
  readonly tableBytes: number;
}

const HOST_DATA = 0x100_0000_0000; // data pages: never backed, never read

/** Builds a 4-level VT-d second-level table mapping `pages` 4 KiB pages (4 KiB leaves only). */
export function buildStage2(pages: number): Stage2Tables {
  const format = createSecondLevelFormat({ levels: 4, hawBits: 48, leafSnp: true });
  const poolBase = 0x10_0000;
  const poolSize = 0x1000_0000;
  const memory = new SparseMemory().back(poolBase, poolSize);
  const alloc = new PoolAllocator(memory, poolBase, poolSize);
  const builder = new PageTableBuilder(format, memory, alloc);
  builder.map(0, HOST_DATA, pages * 4096, { read: true, write: true });
  return { format, memory, root: builder.root, tableBytes: alloc.used };
}

/** One batch of cold single-stage walks over `tables` at `inputs` (core walker, memory fetcher). */
export function coldWalkCase(name: string, tables: Stage2Tables, inputs: Float64Array): Case {
  const fetcher = new MemoryFetcher(tables.memory);
  const state = new WalkState();
  const { format, root } = tables;
  return {
    name,
    opsPerCall: inputs.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < inputs.length; i++) {
        if (walkStage(format, root, inputs[i]!, Access.READ, fetcher, state) !== 0) throw new Error(`${name}: walk faulted`);
        acc += state.output;
      }
      sink.value += acc;
    },
  };
}

function heapBytes(): { heap: number; buffers: number } {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

/**
 * `scale-mapped-pages`: cold walks of a stage 2 mapping 1M pages against one mapping 1K pages (1024 distinct
 * mapped pages each, 4096 walks per batch); also the memory the 1M-page tables take (heap and ArrayBuffer
 * backing stores, after a full GC). A second line, `scale-mapped-pages-same-walks`, walks in the 1M-page
 * table exactly the pages the 1K bench walks: it separates the cost of mapping more pages (none expected)
 * from the cost of touching more distinct tables (CPU caches).
 */
export function scaleBench(options: HarnessOptions): Comparison[] {
  const SAMPLES = 4096;
  const DISTINCT = 1024;
  // The same work in both: 1024 distinct mapped pages (all of them for 1K; spread over the 1M), each walked
  // 4 times per batch in random order. Only the number of mapped pages differs.
  const inputsFor = (pages: number, seed: number) => {
    const random = prng(seed);
    const distinct = distinctPages(DISTINCT, pages, random);
    const sequence = shuffle(Array.from({ length: SAMPLES }, (_, i) => distinct[i % DISTINCT]!), random);
    return Float64Array.from(sequence, (p) => p * 4096 + 0x123);
  };
  const small = buildStage2(1024);
  const before = heapBytes();
  const t0 = performance.now();
  const large = buildStage2(1 << 20);
  const buildMs = performance.now() - t0;
  const after = heapBytes();
  const heapMB = (after.heap - before.heap) / 2 ** 20;
  const buffersMB = (after.buffers - before.buffers) / 2 ** 20;
  const smallInputs = inputsFor(1024, 11);
  const baseline = coldWalkCase('scale-mapped-pages-1k', small, smallInputs);
  const result = compare(coldWalkCase('scale-mapped-pages', large, inputsFor(1 << 20, 11)), baseline, options, 0.85);
  const sameWalks = compare(coldWalkCase('scale-mapped-pages-same-walks', large, smallInputs), baseline, options);
  const main: Comparison = {
    ...result,
    extra: {
      heapMB1M: round1(heapMB),
      arrayBuffersMB1M: round1(buffersMB),
      totalMB1M: round1(heapMB + buffersMB),
      tableMB1M: round1(large.tableBytes / 2 ** 20),
      buildMs1M: Math.round(buildMs),
      memoryTargetMB: 200,
    },
  };
  return [main, sameWalks];
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
