import { describe, expect, it } from 'vitest';
import { Access, Perm } from '@viommu/core';
import { DATA_BASE, Machine, URW } from './model-support';

const SID = 0x0310;
const PASID = 7;
const VA = 0x40_0000;

describe('IOTLB hits report what the translation grants', () => {
  it('a cached read of a writable page whose D is clear reports the same rights as the walk did', () => {
    const m = new Machine(true);
    const dir = m.scalableContext(SID);
    const table = m.pasidDirectory(dir, PASID);
    m.enable();
    const fl = m.firstLevel({ nxe: true });
    fl.map(VA, DATA_BASE, 0x1000, URW); // D clear: a write still needs a walk to set it
    m.pasidEntry(table, PASID, { PGTT: 1, FLPTPTR: fl.root, DID: 3, NXE: 1, SRE: 1 });
    const read = { sourceId: SID, pasid: PASID, address: VA, access: Access.READ };
    const fresh = m.model.translate(read);
    const cached = m.model.translate(read);
    expect(fresh.ok && cached.ok).toBe(true);
    if (!fresh.ok || !cached.ok) return;
    expect(fresh.cached).toBe(false);
    expect(cached.cached).toBe(true);
    expect(fresh.permitted & Perm.UW).toBe(Perm.UW);
    expect(cached.permitted).toBe(fresh.permitted);
    // The write still walks (to set D), and is allowed.
    const write = m.model.translate({ ...read, access: Access.WRITE });
    expect(write.ok && !write.cached).toBe(true);
  });
});
