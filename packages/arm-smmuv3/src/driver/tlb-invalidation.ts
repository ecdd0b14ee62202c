/**
 * TLB invalidation commands for a range of addresses (Arm IHI0070 §4.4.1.1), built the way Linux
 * builds them. With range invalidation (SMMU_IDR3.RIL) a run of pages becomes few commands of
 * (NUM + 1) × 2^SCALE 4 KB pages each, with a TTL level hint when every leaf of the run sits at one
 * level; without it, one command per leaf (TG = 0, the entry containing the address). A run needing
 * more than {@link MAX_TLBI_OPS} commands is replaced by one wider invalidation (the whole ASID or VMID),
 * as Linux does.
 * @packageDocumentation
 */
import type { MappedLeaf } from '@viommu/core';
import { encodeCommand, tlbiTgFromGranule } from '../structures/index';

/** Above this many commands a range invalidation is replaced by a whole-context one (Linux's CMDQ_MAX_TLBI_OPS). */
export const MAX_TLBI_OPS = 256;

/** Which address-based TLBI, and its tags. */
export type AddressTlbi =
  /** Stage-1 entries of one ASID in one VMID (plus global entries). */
  | {
      /** The command. */
      name: 'CMD_TLBI_NH_VA';
      /** Its VMID field. */
      vmid: number;
      /** Its ASID field. */
      asid: number;
    }
  /** Stage-1 entries of every ASID in one VMID. */
  | {
      /** The command. */
      name: 'CMD_TLBI_NH_VAA';
      /** Its VMID field. */
      vmid: number;
    }
  /** Stage-2 entries of one VMID, by IPA. */
  | {
      /** The command. */
      name: 'CMD_TLBI_S2_IPA';
      /** Its VMID field. */
      vmid: number;
    };

/** A run of addresses to invalidate: `[start, start + size)`, all leaves at `level` when known. */
export interface TlbiRun {
  /** First address (4 KB aligned). */
  start: number;
  /** Bytes (a multiple of 4 KB). */
  size: number;
  /** log2 of the leaf size, for the one-command-per-leaf form. */
  leafShift: number;
  /** Architectural level of the leaves (TTL hint), or undefined when mixed or unknown. */
  level?: number | undefined;
}

/** The 4 KB-granule level of a leaf of 2^shift bytes: 12 → 3, 21 → 2, 30 → 1; undefined otherwise. */
export function levelOfLeaf(shift: number): number | undefined {
  return shift === 12 ? 3 : shift === 21 ? 2 : shift === 30 ? 1 : undefined;
}

/** Groups leaves (in address order) into runs of adjacent leaves of one size. */
export function runsOfLeaves(leaves: readonly MappedLeaf[]): TlbiRun[] {
  const runs: TlbiRun[] = [];
  for (const leaf of leaves) {
    const size = 2 ** leaf.shift;
    const last = runs[runs.length - 1];
    if (last && last.leafShift === leaf.shift && last.start + last.size === leaf.input) last.size += size;
    else runs.push({ start: leaf.input, size, leafShift: leaf.shift, level: levelOfLeaf(leaf.shift) });
  }
  return runs;
}

function command(t: AddressTlbi, address: number, range: { tg: number; num: number; scale: number; ttl: number }, leaf: boolean): Uint32Array {
  const common = { VMID: t.vmid, Leaf: leaf ? 1 : 0, TG: range.tg, NUM: range.num, SCALE: range.scale, TTL: range.ttl };
  if (t.name === 'CMD_TLBI_S2_IPA') return encodeCommand({ name: t.name, fields: { ...common, Address: address } });
  if (t.name === 'CMD_TLBI_NH_VA') return encodeCommand({ name: t.name, fields: { ...common, ASID: t.asid, Address: BigInt(address) } });
  return encodeCommand({ name: t.name, fields: { ...common, Address: BigInt(address) } });
}

/**
 * The commands invalidating `runs` (no CMD_SYNC). Returns undefined when they would exceed
 * {@link MAX_TLBI_OPS}: the caller then invalidates the whole context instead.
 * @param ril SMMU_IDR3.RIL: use range commands.
 * @param leaf only last-level entries changed (Leaf = 1).
 */
export function addressTlbiCommands(t: AddressTlbi, runs: readonly TlbiRun[], ril: boolean, leaf: boolean): Uint32Array[] | undefined {
  const out: Uint32Array[] = [];
  const none = { tg: 0, num: 0, scale: 0, ttl: 0 };
  for (const run of runs) {
    if (!ril) {
      for (let a = run.start; a < run.start + run.size; a += 2 ** run.leafShift) {
        out.push(command(t, a, none, leaf));
        if (out.length > MAX_TLBI_OPS) return undefined;
      }
      continue;
    }
    const tg = tlbiTgFromGranule(12);
    const ttl = leaf ? (run.level ?? 0) : 0;
    let pages = run.size / 4096;
    let address = run.start;
    while (pages > 0) {
      let scale = 0;
      while (Math.floor(pages / 2 ** scale) % 2 === 0 && scale < 31) scale++;
      const num = Math.floor(pages / 2 ** scale) % 32;
      // NUM = SCALE = TTL = 0 with TG ≠ 0 is Reserved: one page without a level hint uses TG = 0.
      const range = num === 1 && scale === 0 && ttl === 0 ? none : { tg, num: num - 1, scale, ttl };
      out.push(command(t, address, range, leaf));
      if (out.length > MAX_TLBI_OPS) return undefined;
      const pagesDone = num * 2 ** scale;
      pages -= pagesDone;
      address += pagesDone * 4096;
    }
  }
  return out;
}
