import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, SparseMemory, type DmaRequest } from '@viommu/core';
import { buildAbortSte, buildBypassSte, buildNestedSte, buildStage2Ste, S1DssValue, STE, writeEntry, type SmmuV3Domain, type SmmuV3Iommu } from '../src/index';
import { names, recordCommands } from './support/commands';
import { HookedMemory } from './support/hooked-memory';
import { buildNestedGuest, GUEST_DATA, GUEST_RAM, type NestedGuest } from './support/setup';

function describeRaw(smmu: SmmuV3Iommu, req: DmaRequest): string {
  const r = smmu.model.translate({ streamId: req.device, substreamId: req.pasid, address: req.address, access: req.access }, { uncached: true });
  return r.ok ? `ok ${r.output.toString(16)}` : `fault ${r.event?.name ?? r.abort}`;
}

/** Runs `change` and returns the distinct probe snapshots seen after each 64-bit store into the device's STE. */
function observeSteUpdate(g: NestedGuest & { hooked: HookedMemory }, probes: DmaRequest[], change: () => void) {
  const at = g.smmu.driver.streamTable.steAddress(g.device)!;
  const snap = () => probes.map((p) => describeRaw(g.smmu, p)).join(' | ');
  const seen: string[] = [];
  const before = snap();
  g.hooked.onWrite = (address) => {
    if (address >= at && address < at + 64) seen.push(snap());
  };
  change();
  g.hooked.onWrite = undefined;
  return { before, after: snap(), seen };
}

function hookedGuest(): NestedGuest & { hooked: HookedMemory } {
  const sparse = new SparseMemory();
  const hooked = new HookedMemory(sparse);
  const g = buildNestedGuest({ sparse, memory: hooked, pasidBits: 4 });
  g.guest.attachPasid(0);
  g.guest.attachPasid(1);
  g.guest.map(0, 0x10_0000, GUEST_DATA, 0x1000, { read: true, user: true });
  g.guest.map(1, 0x10_0000, GUEST_DATA + 0x1000, 0x1000, { read: true, user: true });
  return { ...g, hooked };
}

describe('hitless STE updates', () => {
  const probes = (g: NestedGuest): DmaRequest[] => [
    { device: g.device, address: 0x10_0000, access: Access.READ },
    { device: g.device, address: GUEST_RAM.base, access: Access.READ },
    { device: g.device, pasid: 1, address: 0x10_0000, access: Access.READ },
  ];

  it('stage 2 → nested (bind) and back (unbind) switch with one 64-bit store, never through another state', () => {
    const g = hookedGuest();
    const cmds = recordCommands(g.smmu);
    const updates = g.smmu.driver.streamTable.updates;
    const bind = observeSteUpdate(g, probes(g), () => g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig({ pasid0DmaNoPasid: true })));
    expect(bind.before).not.toEqual(bind.after);
    expect(bind.seen.length).toBeGreaterThan(1);
    for (const s of bind.seen) expect([bind.before, bind.after]).toContain(s);
    expect(updates.hitless).toBeGreaterThanOrEqual(2); // the attach and this one
    expect(updates.breaking).toBe(0);
    // Word 1 (S1DSS, CD fetch attributes, MEV), unused under Config 0b110, first; then word 0; each with CFGI_STE + SYNC.
    expect(names(cmds).slice(0, 4)).toEqual(['CMD_CFGI_STE', 'CMD_SYNC', 'CMD_CFGI_STE', 'CMD_SYNC']);
    expect(cmds[0]!.fields).toMatchObject({ StreamID: g.device, Leaf: 1 });

    const unbind = observeSteUpdate(g, probes(g), () => g.iommu.unbindPasidTable(g.domain, g.device));
    expect(unbind.after).toEqual(bind.before);
    for (const s of unbind.seen) expect([unbind.before, unbind.after]).toContain(s);
    expect(updates.breaking).toBe(0);
  });

  it('moving a device between domains through detach / attach goes via the abort STE, hitlessly', () => {
    const g = hookedGuest();
    const other = g.iommu.createDomain('paging');
    other.map(GUEST_RAM.base, GUEST_DATA, 0x1000, { read: true });
    const probesNow = probes(g);
    const change = observeSteUpdate(g, probesNow, () => {
      g.iommu.detachDevice(g.domain, g.device);
      g.iommu.attachDevice(other, g.device);
    });
    const aborted = probesNow.map(() => 'fault STE_ABORT').join(' | ');
    expect(change.before).not.toEqual(change.after);
    for (const s of change.seen) expect([change.before, change.after, aborted]).toContain(s);
    expect(g.smmu.driver.streamTable.updates.breaking).toBe(0);
  });

  it('a direct switch between two stage-2 tables is a breaking update: old, invalid (V = 0), or new', () => {
    const g = hookedGuest();
    const other = g.iommu.createDomain('paging');
    other.map(GUEST_RAM.base, GUEST_DATA, 0x1000, { read: true });
    const o = other.vendor as SmmuV3Domain;
    const probesNow = probes(g);
    const change = observeSteUpdate(g, probesNow, () => g.smmu.driver.writeSte(g.device, buildStage2Ste({ vmid: o.vmid!, table: o.table! })));
    const badSte = probesNow.map(() => 'fault C_BAD_STE').join(' | ');
    for (const s of change.seen) expect([change.before, change.after, badSte]).toContain(s);
    expect(change.seen).toContain(badSte);
    expect(g.smmu.driver.streamTable.updates.breaking).toBe(1);
  });

  it('the writer stages unused bits, then the critical word, then tidies up', () => {
    // A toy 2-qword entry: bit 0 of word 0 is V; when V = 1 word 0 is used, word 1 only when word 0 bit 1 is set.
    const used = (e: Uint32Array) => Uint32Array.of(1 | (e[0]! & 1 ? 0xffff_fffe : 0), 0, e[0]! & 1 && e[0]! & 2 ? 0xffff_ffff : 0, 0);
    const stores: string[] = [];
    const entry = Uint32Array.of(1, 0, 0x55, 0);
    const r = writeEntry(entry, Uint32Array.of(3, 0, 0xaa, 0), {
      usedBits: used,
      writeQword: (q, hi, lo) => stores.push(`q${q}=${hi.toString(16)}:${lo.toString(16)}`),
      sync: () => stores.push('sync'),
    });
    expect(r).toEqual({ kind: 'hitless', writes: 2, syncs: 2 });
    expect(stores).toEqual(['q1=0:aa', 'sync', 'q0=0:3', 'sync']);
    const stores2: string[] = [];
    const r2 = writeEntry(Uint32Array.of(3, 0, 0xaa, 0), Uint32Array.of(7, 0, 0xbb, 0), {
      usedBits: used,
      writeQword: (q, hi, lo) => stores2.push(`q${q}=${hi.toString(16)}:${lo.toString(16)}`),
      sync: () => stores2.push('sync'),
    });
    expect(r2.kind).toBe('breaking');
    expect(stores2).toEqual(['q0=0:0', 'sync', 'q1=0:bb', 'sync', 'q0=0:7', 'sync']);
  });

  it('rewriting an identical STE stores nothing and issues nothing', () => {
    const g = hookedGuest();
    const cmds = recordCommands(g.smmu);
    const r = g.smmu.driver.writeSte(g.device, g.smmu.steOf(g.device));
    expect(r).toEqual({ kind: 'none', writes: 0, syncs: 0 });
    expect(cmds).toEqual([]);
    expect(STE.get(g.smmu.steOf(g.device), 'Config')).toBe(0b110);
  });
});

describe('STE updates between any two configurations (property)', () => {
  it('every state the SMMU can fetch is the old one, the new one, or (breaking updates only) V = 0', () => {
    const g = hookedGuest();
    const d = g.domain.vendor as SmmuV3Domain;
    const other = g.iommu.createDomain('paging');
    other.map(GUEST_RAM.base, GUEST_DATA, 0x2000, { read: true });
    const o = other.vendor as SmmuV3Domain;
    const s1 = (s1dss: number, cdMax = 4) => ({ contextPtr: g.guest.cdTable.base, cdMax, s1fmt: 0, s1dss });
    const targets = [
      buildAbortSte(),
      buildBypassSte(),
      buildStage2Ste({ vmid: d.vmid!, table: d.table! }, true),
      buildStage2Ste({ vmid: o.vmid!, table: o.table! }),
      buildNestedSte(s1(S1DssValue.SUBSTREAM0), { vmid: d.vmid!, table: d.table! }),
      buildNestedSte(s1(S1DssValue.TERMINATE), { vmid: d.vmid!, table: d.table! }),
      buildNestedSte(s1(S1DssValue.BYPASS, 2), { vmid: d.vmid!, table: d.table! }),
    ];
    const probesNow = [
      { device: g.device, address: 0x10_0000, access: Access.READ },
      { device: g.device, address: GUEST_RAM.base + 0x1000, access: Access.READ },
      { device: g.device, pasid: 1, address: 0x10_0000, access: Access.READ },
      { device: g.device, pasid: 0, address: 0x10_0000, access: Access.READ },
    ];
    const badSte = probesNow.map(() => 'fault C_BAD_STE').join(' | ');
    fc.assert(
      fc.property(fc.array(fc.nat({ max: targets.length - 1 }), { minLength: 1, maxLength: 6 }), (sequence) => {
        for (const i of sequence) {
          const updates = { ...g.smmu.driver.streamTable.updates };
          const change = observeSteUpdate(g, probesNow, () => g.smmu.driver.writeSte(g.device, targets[i]!));
          expect(Array.from(g.smmu.steOf(g.device))).toEqual(Array.from(targets[i]!));
          const breaking = g.smmu.driver.streamTable.updates.breaking > updates.breaking;
          for (const seen of change.seen) expect([change.before, change.after, ...(breaking ? [badSte] : [])]).toContain(seen);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('hitless CD updates', () => {
  it('a new TTB0 alone is one store; a new ASID with it goes through V = 0', () => {
    const g = hookedGuest();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    const cd = g.guest.cdTable.readCd(1);
    const moved = Uint32Array.from(cd);
    moved[2] = (moved[2]! + 0x1000_0) >>> 0; // TTB0 lives in word 1 (bits 68..119)
    const cmds = recordCommands(g.smmu);
    expect(g.guest.cdTable.writeCd(1, moved).kind).toBe('hitless');
    expect(names(cmds)).toEqual(['CMD_CFGI_CD', 'CMD_SYNC']);
    // The generic PASID-cache invalidation drops the whole entry (Leaf = 0).
    expect(cmds[0]!.fields).toMatchObject({ StreamID: g.device, SubstreamID: 1, Leaf: 0 });
    const renamed = Uint32Array.from(moved);
    renamed[1] = (renamed[1]! ^ 0x0003_0000) >>> 0; // a different ASID (word 0)
    renamed[2] = cd[2]!;
    expect(g.guest.cdTable.writeCd(1, renamed).kind).toBe('breaking');
  });
});
