/**
 * Device-model benches, the same for both vendors: IOTLB hits on a warm IOTLB, cold nested walks and cold
 * single-stage walks, each driven through the model's own `translate()`. "Cold" is an IOTLB of capacity 0
 * (neither model caches paging-structure entries) with the configuration caches warm, so each translation
 * makes exactly its descriptor reads (24 nested, 4 single stage). Core-level companions (`core-…`) run the
 * same tables through core's NestedTranslator and Iotlb directly, to show which share of the cost is core's.
 */
import { Access, Iotlb, NestedTranslator, type SparseMemory, type TraceEntry, type TranslationContext } from '@viommu/core';
import { lookupOrder, mappedPages, PAGE_OFFSET } from './bench-pages';
import { mapGetCase } from './core-benches';
import { compare, sink, type Case, type Comparison, type HarnessOptions } from './harness';
import { descriptorReads, rawReadsCase } from './raw-reads';

/** What a bench needs from a vendor's device model. */
export interface ModelUnderTest<R> {
  /** The memory the model reads. */
  readonly memory: SparseMemory;
  /** The model's tables as a core context. */
  readonly context: TranslationContext;
  /** One request per page of {@link lookupOrder}, in that order. */
  readonly requests: readonly R[];
  /** The model's translate(). */
  translate(request: R, trace?: TraceEntry[]): { ok: boolean; output?: number; cached?: boolean };
}

/** Builds a model over {@link mappedPages}: nested or single stage, with an IOTLB of `iotlbCapacity` entries. */
export type ModelFactory<R> = (nested: boolean, iotlbCapacity: number) => ModelUnderTest<R>;

function translateCase<R>(name: string, m: ModelUnderTest<R>, expectCached: boolean): Case {
  const reqs = m.requests;
  for (let pass = 0; pass < 2; pass++) {
    for (const req of reqs) {
      const r = m.translate(req);
      if (!r.ok) throw new Error(`${name}: fault translating ${JSON.stringify(req)}`);
      if (pass === 1 && r.cached !== expectCached) throw new Error(`${name}: expected cached=${expectCached}`);
    }
  }
  return {
    name,
    opsPerCall: reqs.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < reqs.length; i++) {
        const r = m.translate(reqs[i]!);
        if (!r.ok) throw new Error(`${name}: fault`);
        acc += r.output!;
      }
      sink.value += acc;
    },
  };
}

/** The descriptor reads of every request, in order, checking each makes `perOp`. */
function traceReads<R>(name: string, m: ModelUnderTest<R>, perOp: number): number[] {
  const all: number[] = [];
  for (const req of m.requests) {
    const trace: TraceEntry[] = [];
    m.translate(req, trace);
    const reads = descriptorReads(trace);
    if (reads.length !== perOp) throw new Error(`${name}: ${reads.length} descriptor reads, expected ${perOp}`);
    all.push(...reads);
  }
  return all;
}

/** The same walks through core's NestedTranslator alone. */
function coreWalkCase<R>(name: string, m: ModelUnderTest<R>, perOp: number): Case {
  const translator = new NestedTranslator(m.memory);
  const inputs = Float64Array.from(lookupOrder, (va) => va + PAGE_OFFSET);
  const ctx = m.context;
  const first = translator.translate(ctx, inputs[0]!, Access.READ);
  if (!first.ok || first.reads !== perOp) throw new Error(`${name}: ${JSON.stringify(first)}`);
  return {
    name,
    opsPerCall: inputs.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < inputs.length; i++) {
        const r = translator.translate(ctx, inputs[i]!, Access.READ);
        if (!r.ok) throw new Error(`${name}: fault`);
        acc += r.output;
      }
      sink.value += acc;
    },
  };
}

/** Core's Iotlb filled with the bench pages, looked up in the bench order. */
function coreIotlbCase(): Case {
  const tlb = new Iotlb(8192);
  mappedPages.forEach((va, i) =>
    tlb.insert(9, 3, { input: va, output: 0x2000_0000 + i * 4096, pageShift: 12, permitted: 63, level: 3, ipa: va, hasStage1: true, hasStage2: true }),
  );
  const inputs = Float64Array.from(lookupOrder, (va) => va + PAGE_OFFSET);
  return {
    name: 'core-iotlb-hit',
    opsPerCall: inputs.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < inputs.length; i++) {
        const e = tlb.lookup(9, 3, inputs[i]!);
        if (e === undefined) throw new Error('core-iotlb-hit: miss');
        acc += e.output;
      }
      sink.value += acc;
    },
  };
}

/** The IOTLB-hit baseline: Map.get over the bench pages' page numbers, in the bench order. */
const mapGet = () => mapGetCase(lookupOrder.map((va) => va / 4096));

/** `<vendor>-iotlb-hit` (nested, warm IOTLB) against `map-get`; with `withCore`, `core-iotlb-hit` too. */
export function iotlbHitBench<R>(vendor: string, factory: ModelFactory<R>, withCore: boolean) {
  return (options: HarnessOptions): Comparison[] => {
    const baseline = mapGet();
    const out = [compare(translateCase(`${vendor}-iotlb-hit`, factory(true, 8192), true), baseline, options, 0.5)];
    if (withCore) out.push(compare(coreIotlbCase(), baseline, options));
    return out;
  };
}

/**
 * A cold-walk bench: `name` (nested or single stage, IOTLB off) against `raw-reads-N`; with `coreName`,
 * the same tables through core alone too.
 */
export function coldWalkBench<R>(name: string, factory: ModelFactory<R>, nested: boolean, coreName?: string) {
  return (options: HarnessOptions): Comparison[] => {
    const perOp = nested ? 24 : 4;
    const m = factory(nested, 0);
    const subject = translateCase(name, m, false);
    const baseline = rawReadsCase(m.memory, traceReads(name, m, perOp), perOp);
    const out = [compare(subject, baseline, options, 0.5)];
    if (coreName) out.push(compare(coreWalkCase(coreName, m, perOp), baseline, options));
    return out;
  };
}
