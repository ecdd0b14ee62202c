/**
 * The conformance properties as plain functions returning the problems they find, so both the vitest suite
 * and the fuzz soak run exactly the same checks.
 * @packageDocumentation
 */
import { Access, type DmaRequest, type DmaResult, type MemoryAccess, IommuError } from '@viommu/core';
import type { MemoryRange, Scenario, ScenarioEnv } from './scenario';

/** A byte write into guest RAM (offset from the start of guest RAM). */
export interface GarbageWrite {
  /** Offset into guest RAM. */
  offset: number;
  /** Bytes written. */
  bytes: Uint8Array;
}

function inRanges(ranges: readonly MemoryRange[], address: number, size: number): boolean {
  return ranges.some((r) => address >= r.base && address + size <= r.base + r.size);
}

/** A stable, comparable rendering of a DMA result (records as hex words). */
export function describeResult(r: DmaResult): string {
  if (r.ok) return `ok ${r.output.toString(16)} ${r.pageShift} ${r.permitted}`;
  const words = Array.from(r.fault.vendor.record, (w) => w.toString(16)).join(',');
  return `fault ${r.fault.vendor.name} ${r.fault.reason} ${r.recorded} [${words}]`;
}

function safeTranslate(s: Scenario, req: DmaRequest, uncached: boolean): DmaResult | string {
  try {
    return s.iommu.translate(req, { uncached });
  } catch (e) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/**
 * Isolation: after `garbage` is written into guest RAM, every host access a translation makes lies in
 * host-owned structures or the guest's stage-2 image, every output address lies in the image, nothing throws,
 * and translating again (cached or not) gives the same answer.
 */
export function checkIsolation(s: Scenario, env: ScenarioEnv, garbage: readonly GarbageWrite[], requests: readonly DmaRequest[]): string[] {
  const problems: string[] = [];
  for (const g of garbage) {
    const offset = Math.min(g.offset, Math.max(0, s.guestRam.size - g.bytes.length));
    s.guestMemory.writeBytes(s.guestRam.base + offset, g.bytes);
  }
  const allowed = [...s.hostOwned, ...s.guestImage];
  for (const req of requests) {
    env.memory.clear();
    env.memory.enabled = true;
    const first = safeTranslate(s, req, false);
    env.memory.enabled = false;
    const where = `request ${JSON.stringify(req, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`;
    if (typeof first === 'string') {
      problems.push(`${where}: ${first}`);
      continue;
    }
    const stray = env.memory.accesses.find((a: MemoryAccess) => !inRanges(allowed, a.address, a.size));
    if (stray) problems.push(`${where}: ${stray.kind} of ${stray.size} bytes at 0x${stray.address.toString(16)} outside host-owned structures and the guest image`);
    if (first.ok && !inRanges(s.guestImage, first.output, 1)) {
      problems.push(`${where}: output 0x${first.output.toString(16)} is outside the guest's stage-2 image`);
    }
    const again = safeTranslate(s, req, false);
    const uncached = safeTranslate(s, req, true);
    const a = typeof again === 'string' ? again : describeResult(again);
    const u = typeof uncached === 'string' ? uncached : describeResult(uncached);
    if (a !== describeResult(first)) problems.push(`${where}: not deterministic: ${describeResult(first)} then ${a}`);
    if (u !== describeResult(first)) problems.push(`${where}: cached ${describeResult(first)} differs from uncached ${u}`);
  }
  return problems;
}

/** One step of the coherence property. */
export type CoherenceOp =
  | {
      /** Remap the first 4 KB page of a guest mapping to another page of its target, then invalidate it. */
      op: 'map';
      /** Which of the scenario's guest mappings (of at least 4 KB) to edit, taken modulo their count. */
      mapping: number;
      /** Which 4 KB page of the mapping's GPA range becomes the new target, taken modulo its page count. */
      slot: number;
      /** Whether the new mapping is writable (it is always readable and user-accessible). */
      write: boolean;
    }
  | {
      /** Unmap the first 4 KB page of a guest mapping, then invalidate it. */
      op: 'unmap';
      /** Which guest mapping, taken modulo their count. */
      mapping: number;
    }
  | {
      /** Translate one address twice, cached and `uncached`, and compare the results. */
      op: 'translate';
      /** Which guest mapping supplies the PASID and base GVA, taken modulo their count. */
      mapping: number;
      /** Byte offset into the mapping, taken modulo its size. */
      offset: number;
      /** The request's `Access` bit mask (READ, WRITE, EXEC, PRIV from `@viommu/core`). */
      access: number;
    };

/**
 * Coherence: random guest map/unmap edits, each followed by the invalidation a correct driver issues,
 * interleaved with translations; after every completed invalidation the cached answer equals the uncached
 * one.
 */
export function checkCoherence(s: Scenario, ops: readonly CoherenceOp[]): string[] {
  const problems: string[] = [];
  const base = s.mappings.filter((m) => m.size >= 4096);
  if (base.length === 0) return ['scenario has no guest mappings to edit'];
  const page = 4096;
  for (const [i, op] of ops.entries()) {
    const m = base[op.mapping % base.length]!;
    try {
      if (op.op === 'map') {
        // Remap the first page of the mapping to another page of the same mapping's target.
        s.guest.unmap(m.pasid, m.gva, page);
        const target = m.gpa + (op.slot % Math.max(1, m.size / page)) * page;
        s.guest.map(m.pasid, m.gva, target, page, { read: true, write: op.write, user: true });
        s.guest.invalidate(m.pasid, m.gva, page);
      } else if (op.op === 'unmap') {
        s.guest.unmap(m.pasid, m.gva, page);
        s.guest.invalidate(m.pasid, m.gva, page);
      } else {
        const req: DmaRequest = { device: s.device, pasid: m.pasid, address: m.gva + (op.offset % m.size), access: op.access };
        const cached = describeResult(s.iommu.translate(req));
        const uncached = describeResult(s.iommu.translate(req, { uncached: true }));
        if (cached !== uncached) problems.push(`step ${i}: cached ${cached} ≠ uncached ${uncached} for ${JSON.stringify(req)}`);
      }
    } catch (e) {
      problems.push(`step ${i} (${op.op}): threw ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems;
}

/** Requests over every mapping and PASID of a scenario, all access kinds, both privilege levels. */
export function sampleRequests(s: Scenario): DmaRequest[] {
  const out: DmaRequest[] = [];
  const accesses = [Access.READ, Access.WRITE, Access.EXEC, Access.READ | Access.PRIV, Access.WRITE | Access.PRIV];
  for (const m of s.mappings) {
    for (const access of accesses) out.push({ device: s.device, pasid: m.pasid, address: m.gva, access });
    out.push({ device: s.device, pasid: m.pasid, address: m.gva + m.size - 1, access: Access.READ });
    out.push({ device: s.device, pasid: m.pasid, address: m.gva + m.size, access: Access.READ });
  }
  return out;
}

/** Runs `f`, returning the IommuError code it threw (or a description of anything else). */
export function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof IommuError ? e.code : `not an IommuError: ${String(e)}`;
  }
  return undefined;
}
