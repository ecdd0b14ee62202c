import { Access, type DmaResult, type Iommu, type TraceEntry } from '@viommu/core';
import { DECODABLES } from '../decode/index';
import type { DecodedStructure } from '../decodable';
import { toHex } from '../hex';
import { countReads, permString } from '../translate/outcome';

/** One DMA request of the demo, as the device issued it. */
export interface DemoRequestSpec {
  /** StreamID / requester id. */
  sid: number;
  /** SubstreamID / PASID, or undefined. */
  pasid: number | undefined;
  /** Input address. */
  iova: number;
  /** `read`, `write` or `exec`. */
  access: 'read' | 'write' | 'exec';
  /** Privileged / supervisor. */
  privileged: boolean;
}

/** A request with its answer and walk. */
export interface DemoRequest {
  /** What the request shows. */
  label: string;
  /** The request. */
  request: DemoRequestSpec;
  /** The answer, in `viommu translate --json` form (faults add the generic reason and the decoded record). */
  result: Record<string, unknown>;
  /** Every read, in order (the 2-D walk). */
  trace: TraceEntry[];
}

/** One vendor's part of the demo. */
export interface DemoVendorReport {
  /** `arm-smmuv3` or `intel-vtd`. */
  vendor: string;
  /** Heading. */
  title: string;
  /** What was built, line by line. */
  setup: string[];
  /** The config that was bound, and what the bind installed. */
  bind: { config: Record<string, unknown>; installed: string[] };
  /** The config refused by the model check. */
  refused: { config: Record<string, unknown>; code: string; message: string };
  /** DMA that translates. */
  requests: DemoRequest[];
  /** One fault of each kind. */
  faults: DemoRequest[];
}

/** The request's core Access bits. */
export function demoAccess(r: DemoRequestSpec): number {
  return (r.access === 'write' ? Access.WRITE : r.access === 'exec' ? Access.EXEC : Access.READ) | (r.privileged ? Access.PRIV : 0);
}

/** JSON-safe rendering of a value (bigints and addresses as `0x…`). */
export function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? toHex(v) : v)));
}

/** The demo's view of a generic DMA result, with the vendor record decoded by `viommu decode`'s tables. */
export function describeDma(result: DmaResult, req: DemoRequestSpec, trace: readonly TraceEntry[], recordStructure: string): Record<string, unknown> {
  if (result.ok) {
    return { ok: true, pa: toHex(result.output), pageSize: 2 ** result.pageShift, perm: permString(result.permitted, req.privileged), reads: countReads(trace), cached: result.cached };
  }
  const f = result.fault;
  const decoder = DECODABLES.find((d) => d.name === recordStructure);
  let record: DecodedStructure | undefined;
  if (decoder && f.vendor.code !== 0) record = decoder.decode(f.vendor.record, { givenWords64: Math.ceil(f.vendor.record.length / 2) });
  return {
    ok: false,
    fault: {
      name: f.vendor.name,
      code: f.vendor.code,
      reason: f.reason,
      ...(f.addr !== undefined ? { address: toHex(f.addr) } : {}),
      ...(result.walk ? { stage: result.walk.stage } : {}),
      recorded: result.recorded,
    },
    ...(record ? { record: { structure: record.structure, fields: record.fields, meanings: record.meanings } } : {}),
  };
}

/**
 * Runs one demo request through the generic API with every read traced and caches off, and describes it,
 * decoding a fault's record with `viommu decode`'s `recordStructure` table (`event`, `fault-record`).
 */
export function runDemoRequest(iommu: Iommu, sid: number, recordStructure: string, label: string, spec: Omit<DemoRequestSpec, 'sid'>): DemoRequest {
  const request = { sid, ...spec };
  const trace: TraceEntry[] = [];
  const result = iommu.translate({ device: sid, pasid: spec.pasid, address: spec.iova, access: demoAccess(request) }, { trace, uncached: true });
  return { label, request, result: describeDma(result, request, trace, recordStructure), trace };
}
