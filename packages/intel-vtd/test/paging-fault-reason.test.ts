import { describe, it, expect } from 'vitest';
import {
  Access,
  NestedTranslator,
  PageTableBuilder,
  PoolAllocator,
  SparseMemory,
  read64Big,
  write64Big,
  type TranslationContext,
  type TranslationResult,
} from '@viommu/core';
import {
  createFirstLevelFormat,
  createSecondLevelFormat,
  SLLPS_1G,
  SLLPS_2M,
  vtdFaultReasonForWalk,
  VtdWalkFaultReason,
  type VtdWalkFaultInfo,
  type VtdWalkMode,
} from '../src/paging/index';

describe('vtdFaultReasonForWalk: the mapping table', () => {
  const f = (over: Partial<VtdWalkFaultInfo>): VtdWalkFaultInfo => ({ stage: 1, kind: 'translation', detail: '', depth: 2, ...over });
  const rows: [string, VtdWalkFaultInfo, VtdWalkMode, number, number][] = [
    // First level (stage 1), scalable mode.
    ['FL P = 0', f({}), 'first-level', Access.READ, 0x71],
    ['FL reserved', f({ kind: 'reserved' }), 'nested', Access.READ, 0x72],
    ['FL U/S = 0 for a user request', f({ kind: 'permission', detail: 'user' }), 'first-level', Access.READ, 0x81],
    ['FL execute denied', f({ kind: 'permission', detail: 'exec' }), 'first-level', Access.EXEC, 0x82],
    ['FL write denied', f({ kind: 'permission', detail: 'write' }), 'nested', Access.WRITE, 0x85],
    ['FL supervisor request with SRE = 0', f({ kind: 'permission', detail: 'supervisor', depth: 0 }), 'first-level', Access.READ | Access.PRIV, 0x5d],
    ['FL root entry unreadable', f({ kind: 'externalAbort', depth: 0 }), 'first-level', Access.READ, 0x73],
    ['FL lower entry unreadable', f({ kind: 'externalAbort', depth: 3 }), 'nested', Access.READ, 0x70],
    ['FL A/D write-back failed', f({ kind: 'externalAbort', depth: 3, onUpdate: true }), 'first-level', Access.WRITE, 0x91],
    ['FL input out of range (non-canonical)', f({ kind: 'inputRange', depth: 0 }), 'first-level', Access.READ, 0x80],
    // Nested: the second-level walk that translates a first-level table address.
    ['FL table GPA beyond SL range', f({ stage: 2, kind: 'inputRange', depth: 0, purpose: 's1-table', s1Depth: 1 }), 'nested', Access.READ, 0x74],
    ['SL denies reading the FL root', f({ stage: 2, kind: 'permission', detail: 'read', purpose: 's1-table', s1Depth: 0 }), 'nested', Access.READ, 0x75],
    ['SL denies reading an FL table', f({ stage: 2, kind: 'permission', detail: 'read', purpose: 's1-table', s1Depth: 2 }), 'nested', Access.READ, 0x76],
    ['SL denies the FL A/D write', f({ stage: 2, kind: 'permission', detail: 'write', purpose: 's1-table', s1Depth: 3, onUpdate: true }), 'nested', Access.READ, 0x77],
    ['SL entry unreadable on an FL fetch', f({ stage: 2, kind: 'externalAbort', depth: 2, purpose: 's1-table', s1Depth: 1 }), 'nested', Access.READ, 0x78],
    ['SL not present on an FL fetch', f({ stage: 2, purpose: 's1-table', s1Depth: 1 }), 'nested', Access.READ, 0x79],
    ['SL reserved on an FL fetch', f({ stage: 2, kind: 'reserved', purpose: 's1-table', s1Depth: 1 }), 'nested', Access.READ, 0x7a],
    ['SL root unreadable on an FL fetch', f({ stage: 2, kind: 'externalAbort', depth: 0, purpose: 's1-table', s1Depth: 0 }), 'nested', Access.READ, 0x7b],
    // Second level translating the output (nested) or the input (PGTT = 2).
    ['SL not present', f({ stage: 2, purpose: 'output' }), 'second-level', Access.READ, 0x79],
    ['SL reserved', f({ stage: 2, kind: 'reserved', purpose: 'output' }), 'nested', Access.READ, 0x7a],
    ['SL lower entry unreadable', f({ stage: 2, kind: 'externalAbort', purpose: 'output' }), 'second-level', Access.READ, 0x78],
    ['SL root unreadable', f({ stage: 2, kind: 'externalAbort', depth: 0, purpose: 'output' }), 'second-level', Access.READ, 0x7b],
    ['SL SLADE write-back failed', f({ stage: 2, kind: 'externalAbort', depth: 0, purpose: 'output', onUpdate: true }), 'second-level', Access.WRITE, 0x78],
    ['SL read denied', f({ stage: 2, kind: 'permission', detail: 'read', purpose: 'output' }), 'second-level', Access.READ, 0x86],
    ['SL write denied', f({ stage: 2, kind: 'permission', detail: 'write', purpose: 'output' }), 'nested', Access.WRITE, 0x85],
    ['SL execute denied', f({ stage: 2, kind: 'permission', detail: 'exec', purpose: 'output' }), 'nested', Access.EXEC, 0x82],
    ['SL-only input beyond AGAW', f({ stage: 2, kind: 'inputRange', depth: 0, purpose: 'output' }), 'second-level', Access.READ, 0x83],
    ['nested output GPA beyond SL range', f({ stage: 2, kind: 'inputRange', depth: 0, purpose: 'output' }), 'nested', Access.READ, 0x84],
    // Legacy mode (second level only).
    ['legacy input beyond MGAW', f({ stage: 2, kind: 'inputRange', depth: 0 }), 'legacy', Access.READ, 0x4],
    ['legacy R = W = 0 on a write', f({ stage: 2 }), 'legacy', Access.WRITE, 0x5],
    ['legacy R = W = 0 on an AtomicOp', f({ stage: 2 }), 'legacy', Access.READ | Access.WRITE, 0x5],
    ['legacy R = W = 0 on a read', f({ stage: 2 }), 'legacy', Access.READ, 0x6],
    ['legacy write denied', f({ stage: 2, kind: 'permission', detail: 'write' }), 'legacy', Access.WRITE, 0x5],
    ['legacy read denied', f({ stage: 2, kind: 'permission', detail: 'read' }), 'legacy', Access.READ, 0x6],
    ['legacy SL root unreadable (SLPTPTR)', f({ stage: 2, kind: 'externalAbort', depth: 0 }), 'legacy', Access.READ, 0x3],
    ['legacy lower SL entry unreadable', f({ stage: 2, kind: 'externalAbort', depth: 1 }), 'legacy', Access.READ, 0x7],
    ['legacy reserved', f({ stage: 2, kind: 'reserved' }), 'legacy', Access.READ, 0xc],
  ];
  for (const [name, fault, mode, access, reason] of rows) {
    it(`${name} → 0x${reason.toString(16)}`, () => {
      expect(vtdFaultReasonForWalk(fault, mode, access)).toBe(reason);
    });
  }

  it('names every code it returns', () => {
    const named = new Set<number>(Object.values(VtdWalkFaultReason));
    for (const [, fault, mode, access] of rows) expect(named.has(vtdFaultReasonForWalk(fault, mode, access))).toBe(true);
    expect(VtdWalkFaultReason.NON_CANONICAL).toBe(0x80);
    expect(VtdWalkFaultReason.FL_AD_UPDATE_FAILED).toBe(0x91);
  });
});

/*
 * End to end through core's nested pipeline. Guest-physical [0, 4 MiB) is mapped by the second level to
 * host-physical [4 MiB, 8 MiB). The guest's first-level tables: PML4 at GPA 0x1000, PDPT 0x2000, PD 0x3000,
 * PT 0x4000; VA 0x80_4020_1abc indexes entry 1 of each and the PTE maps GPA 0x20_0000.
 */
describe('vtdFaultReasonForWalk on real nested walks', () => {
  const GUEST = 0x40_0000;
  const VA = 0x80_4020_1abc;
  const FL_FLAGS = 0x7n; // P | R/W | U/S

  function setup() {
    const mem = new SparseMemory().back(0, 0x100_0000);
    const sl = createSecondLevelFormat({ levels: 4, hawBits: 46, sllps: SLLPS_2M | SLLPS_1G, leafSnp: true });
    const slb = new PageTableBuilder(sl, mem, new PoolAllocator(mem, 0x80_0000, 0x40_0000));
    slb.map(0, GUEST, 0x40_0000, { read: true, write: true });
    const fl = createFirstLevelFormat({ levels: 4, hawBits: 52, nxe: true, sre: true });
    const gput = (gpa: number, v: bigint) => expect(write64Big(mem, GUEST + gpa, v)).toBe(true);
    gput(0x1008, 0x2000n | FL_FLAGS);
    gput(0x2008, 0x3000n | FL_FLAGS);
    gput(0x3008, 0x4000n | FL_FLAGS);
    gput(0x4008, 0x20_0000n | FL_FLAGS);
    const ctx: TranslationContext = { stage1: { format: fl, root: 0x1000 }, stage2: { format: sl, root: slb.root } };
    const t = new NestedTranslator(mem);
    const remapGuestPage = (gpa: number, prot: { read?: boolean; write?: boolean } | { hpa: number }) => {
      slb.unmap(gpa, 0x1000);
      if ('hpa' in prot) slb.map(gpa, prot.hpa, 0x1000, { read: true, write: true });
      else if (prot.read || prot.write) slb.map(gpa, GUEST + gpa, 0x1000, prot);
    };
    const reason = (r: TranslationResult, access: number, mode: VtdWalkMode = 'nested') => {
      if (r.ok) throw new Error(`expected a fault, got output 0x${r.output.toString(16)}`);
      return vtdFaultReasonForWalk(r, mode, access);
    };
    return { mem, gput, ctx, t, remapGuestPage, reason, slb };
  }

  it('translates, setting A in the guest entries through the second level', () => {
    const { mem, ctx, t } = setup();
    const r = t.translate(ctx, VA, Access.WRITE);
    expect(r).toMatchObject({ ok: true, output: GUEST + 0x20_0abc, ipa: 0x20_0abc });
    expect(read64Big(mem, GUEST + 0x4008)).toBe(0x20_0000n | FL_FLAGS | 0x60n);
  });

  it('first-level faults: 0x71, 0x72, 0x81, 0x85', () => {
    const s = setup();
    s.gput(0x4008, 0n);
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x71);
    s.gput(0x4008, 0x20_0000n | FL_FLAGS | (1n << 63n) | (1n << 7n)); // PAT in a PTE is fine…
    expect(s.t.translate(s.ctx, VA, Access.READ).ok).toBe(true);
    s.gput(0x3008, 0x4000n | FL_FLAGS | 0x80n | (1n << 13n)); // …bits 20:13 of a 2 MiB leaf are not
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x72);
    s.gput(0x3008, 0x4000n | 0x3n);
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x81);
    s.gput(0x3008, 0x4000n | 0x5n);
    expect(s.reason(s.t.translate(s.ctx, VA, Access.WRITE), Access.WRITE)).toBe(0x85);
  });

  it('FL table and output addresses beyond the second level: 0x74, 0x84', () => {
    const s = setup();
    s.gput(0x2008, 0x1_0000_0000_0000n | FL_FLAGS); // a PD at GPA 2^48: SL input is 48 bits
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x74);
    s.gput(0x2008, 0x3000n | FL_FLAGS);
    s.gput(0x4008, 0x1_0000_0000_0000n | FL_FLAGS);
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x84);
  });

  it('second level denies reading the FL root (0x75) or a lower FL table (0x76), or the A write (0x77)', () => {
    const s = setup();
    s.remapGuestPage(0x1000, { write: true });
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x75);
    s.remapGuestPage(0x1000, { read: true, write: true });
    s.remapGuestPage(0x3000, { write: true });
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x76);
    s.remapGuestPage(0x3000, { read: true, write: true });
    s.remapGuestPage(0x4000, { read: true }); // the PTE's A is clear: its update needs W
    const r = s.t.translate(s.ctx, VA, Access.READ);
    expect(r).toMatchObject({ ok: false, stage: 2, kind: 'permission', purpose: 's1-table', onUpdate: true });
    expect(s.reason(r, Access.READ)).toBe(0x77);
  });

  it('second-level structure faults on an FL fetch and on the output: 0x79, 0x70, 0x73, 0x85', () => {
    const s = setup();
    s.remapGuestPage(0x2000, {});
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x79);
    s.remapGuestPage(0x2000, { hpa: 0x1000_0000 }); // mapped to unbacked host memory
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x70);
    s.remapGuestPage(0x1000, { hpa: 0x1000_0000 });
    expect(s.reason(s.t.translate(s.ctx, VA, Access.READ), Access.READ)).toBe(0x73);
    const t = setup();
    t.remapGuestPage(0x20_0000, { read: true });
    expect(t.reason(t.t.translate(t.ctx, VA, Access.WRITE), Access.WRITE)).toBe(0x85);
    expect(t.t.translate(t.ctx, VA, Access.READ).ok).toBe(true);
  });

  it('second-level only (PGTT = 2): not present 0x79, beyond the AGAW 0x83', () => {
    const s = setup();
    const ctx: TranslationContext = { stage2: s.ctx.stage2 };
    expect(s.t.translate(ctx, 0x1234, Access.READ)).toMatchObject({ ok: true, output: GUEST + 0x1234 });
    expect(s.reason(s.t.translate(ctx, 0x80_0000, Access.READ), Access.READ, 'second-level')).toBe(0x79);
    expect(s.reason(s.t.translate(ctx, 2 ** 48, Access.READ), Access.READ, 'second-level')).toBe(0x83);
    expect(s.reason(s.t.translate(ctx, 0x80_0000, Access.WRITE), Access.WRITE, 'legacy')).toBe(0x5);
    expect(s.reason(s.t.translate(ctx, 2 ** 48, Access.READ), Access.READ, 'legacy')).toBe(0x4);
  });
});
