/**
 * VT-d benches through the device model's `translate()`: IOTLB hits (nested PASID, warm IOTLB), cold
 * nested walks and cold first-level walks. "Cold" is an IOTLB of capacity 0 (the model caches no
 * paging-structure entries), with the context and PASID caches warm, so each translation makes exactly
 * its descriptor reads (24 nested, 4 first level). Core-level companions (`core-…`) run the same tables
 * through core's NestedTranslator and Iotlb directly, to show which share of the cost is core's.
 */
import { Access, Iotlb, NestedTranslator, type TraceEntry } from '@viommu/core';
import type { VtdRequest } from '@viommu/intel-vtd';
import { lookupOrder, mappedPages, PAGE_OFFSET } from './bench-pages';
import { mapGetCase } from './core-benches';
import { compare, sink, type Case, type Comparison, type HarnessOptions } from './harness';
import { descriptorReads, rawReadsCase } from './raw-reads';
import { VTD_PASID, VTD_SID, vtdSetup, type VtdSetup } from './vtd-setup';

function requests(): VtdRequest[] {
  return lookupOrder.map((va) => ({ sourceId: VTD_SID, pasid: VTD_PASID, address: va + PAGE_OFFSET, access: Access.READ }));
}

function translateCase(name: string, setup: VtdSetup, reqs: readonly VtdRequest[], expectCached: boolean): Case {
  const model = setup.model;
  for (const req of reqs) {
    const r = model.translate(req);
    if (!r.ok) throw new Error(`${name}: ${r.name} translating 0x${req.address.toString(16)}`);
  }
  for (const req of reqs) {
    const r = model.translate(req);
    if (!r.ok || r.cached !== expectCached) throw new Error(`${name}: expected cached=${expectCached}`);
  }
  return {
    name,
    opsPerCall: reqs.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < reqs.length; i++) {
        const r = model.translate(reqs[i]!);
        if (!r.ok) throw new Error(`${name}: fault`);
        acc += r.output;
      }
      sink.value += acc;
    },
  };
}

/** The descriptor reads of every request, in order, checking each makes `perOp`. */
function traceReads(name: string, setup: VtdSetup, reqs: readonly VtdRequest[], perOp: number): number[] {
  const all: number[] = [];
  for (const req of reqs) {
    const trace: TraceEntry[] = [];
    setup.model.translate(req, { trace });
    const reads = descriptorReads(trace);
    if (reads.length !== perOp) throw new Error(`${name}: ${reads.length} descriptor reads, expected ${perOp}`);
    all.push(...reads);
  }
  return all;
}

/** The same walk through core's NestedTranslator alone. */
function coreWalkCase(name: string, setup: VtdSetup, perOp: number): Case {
  const translator = new NestedTranslator(setup.memory);
  const inputs = Float64Array.from(lookupOrder);
  const ctx = setup.context;
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
    tlb.insert(9, VTD_PASID, { input: va, output: 0x2000_0000 + i * 4096, pageShift: 12, permitted: 63, level: 1, ipa: va, hasStage1: true, hasStage2: true }),
  );
  const inputs = Float64Array.from(lookupOrder, (va) => va + PAGE_OFFSET);
  return {
    name: 'core-iotlb-hit',
    opsPerCall: inputs.length,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < inputs.length; i++) {
        const e = tlb.lookup(9, VTD_PASID, inputs[i]!);
        if (e === undefined) throw new Error('core-iotlb-hit: miss');
        acc += e.output;
      }
      sink.value += acc;
    },
  };
}

const pageKeys = () => lookupOrder.map((va) => va / 4096);

/** `vtd-iotlb-hit` and `core-iotlb-hit` against `map-get`. */
export function vtdIotlbBench(options: HarnessOptions): Comparison[] {
  const setup = vtdSetup(mappedPages, true, { iotlb: 8192 });
  const baseline = mapGetCase(pageKeys());
  return [
    compare(translateCase('vtd-iotlb-hit', setup, requests(), true), baseline, options, 0.5),
    compare(coreIotlbCase(), baseline, options),
  ];
}

/** `vtd-nested-walk-cold` (and `core-nested-walk-cold`) against `raw-reads-24`. */
export function vtdNestedBench(options: HarnessOptions): Comparison[] {
  const setup = vtdSetup(mappedPages, true, { iotlb: 0 });
  const reqs = requests();
  const subject = translateCase('vtd-nested-walk-cold', setup, reqs, false);
  const baseline = rawReadsCase(setup.memory, traceReads('vtd-nested-walk-cold', setup, reqs, 24), 24);
  return [compare(subject, baseline, options, 0.5), compare(coreWalkCase('core-nested-walk-cold', setup, 24), baseline, options)];
}

/** `vtd-fl-walk-cold` (and `core-s1-walk-cold`) against `raw-reads-4`. */
export function vtdFirstLevelBench(options: HarnessOptions): Comparison[] {
  const setup = vtdSetup(mappedPages, false, { iotlb: 0 });
  const reqs = requests();
  const subject = translateCase('vtd-fl-walk-cold', setup, reqs, false);
  const baseline = rawReadsCase(setup.memory, traceReads('vtd-fl-walk-cold', setup, reqs, 4), 4);
  return [compare(subject, baseline, options, 0.5), compare(coreWalkCase('core-s1-walk-cold', setup, 4), baseline, options)];
}
