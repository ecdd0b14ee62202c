import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, isIommuError } from '@viommu/core';
import { DEFAULT_VTD_CAPABILITIES, PASID_ENTRY_LAYOUT } from '../src/structures/index';
import { checkHwptVtdS1, checkHwptVtdS1Invalidate, IommuVtdS1Flags } from '../src/driver/index';
import { DEVICE, freshVtdScenario, GUEST_RAM, GUEST_RAM_HPA } from './support/vtd-scenario';

const caps = DEFAULT_VTD_CAPABILITIES;

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIommuError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('iommu_hwpt_vtd_s1 checks', () => {
  it('accepts the three flags and turns them into the first-level half (WPE only with SRE)', () => {
    expect(checkHwptVtdS1({ flags: 7, pgtblAddr: 0x8000_1000, addrWidth: 57 }, caps, 48)).toEqual({ flptptr: 0x8000_1000, flpm: 1, sre: true, wpe: true, eafe: true });
    expect(checkHwptVtdS1({ flags: IommuVtdS1Flags.WPE, pgtblAddr: 0x1000n, addrWidth: 48 }, caps, 48)).toEqual({ flptptr: 0x1000, flpm: 0, sre: false, wpe: false, eafe: false });
  });

  it('rejects what Linux rejects', () => {
    const ok = { flags: 0, pgtblAddr: 0x1000, addrWidth: 48 };
    const cases: [string, Parameters<typeof checkHwptVtdS1>[0], typeof caps, string][] = [
      ['unknown flag', { ...ok, flags: 8 }, caps, 'CONFIG_VENDOR'],
      ['flag beyond 32 bits', { ...ok, flags: 1n << 40n }, caps, 'CONFIG_VENDOR'],
      ['SRE without ECAP.SRS', { ...ok, flags: IommuVtdS1Flags.SRE }, { ...caps, srs: false }, 'CONFIG_UNSUPPORTED'],
      ['EAFE without ECAP.EAFS', { ...ok, flags: IommuVtdS1Flags.EAFE }, { ...caps, eafs: false }, 'CONFIG_UNSUPPORTED'],
      ['57 bits without CAP.FL5LP', { ...ok, addrWidth: 57 }, { ...caps, fl5lp: false }, 'CONFIG_UNSUPPORTED'],
      ['39-bit width', { ...ok, addrWidth: 39 }, caps, 'CONFIG_VENDOR'],
      ['unaligned table', { ...ok, pgtblAddr: 0x1800 }, caps, 'CONFIG_ALIGNMENT'],
      ['table beyond the guest address space', { ...ok, pgtblAddr: 2 ** 48 }, caps, 'CONFIG_ADDRESS'],
    ];
    for (const [what, data, c, code] of cases) expect([what, errorCode(() => checkHwptVtdS1(data, c, 48))]).toEqual([what, code]);
  });

  it('checks invalidation requests: LEAF only, 4 KiB aligned, (0, 2^64 − 1) = everything', () => {
    expect(checkHwptVtdS1Invalidate({ addr: 0, npages: (1n << 64n) - 1n, flags: 0 })).toEqual({ all: true });
    expect(checkHwptVtdS1Invalidate({ addr: 0x5000, npages: 3, flags: 1 })).toEqual({ all: false, address: 0x5000, size: 0x3000, leaf: true });
    for (const inv of [
      { addr: 0x5000, npages: 1, flags: 2 },
      { addr: 0x5800, npages: 1, flags: 0 },
      { addr: 0x5000, npages: (1n << 64n) - 1n, flags: 0 },
      { addr: -1, npages: 1, flags: 0 },
    ]) {
      expect(errorCode(() => checkHwptVtdS1Invalidate(inv))).toBe('INVALIDATE_ARGUMENT');
    }
  });
});

describe('the iommufd path', () => {
  it('programs the same host PASID entry as the bindPasidTable shadow of an equivalent guest entry', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 7 }),
        fc.constantFrom(48, 57),
        fc.nat({ max: GUEST_RAM.size / 4096 - 1 }),
        fc.constantFrom(0, 5, 63, 64, 255),
        (flags, addrWidth, page, pasid) => {
          const s = freshVtdScenario({ pasids: [{ pasid: 1, options: {} }] });
          const pgtblAddr = GUEST_RAM.base + page * 4096;
          // The guest's raw entry keeps WPE even without SRE; the shadow, like iommufd, drops it then.
          const words = PASID_ENTRY_LAYOUT.encode({ P: 1, PGTT: 1, DID: 9, FLPTPTR: pgtblAddr, FLPM: addrWidth === 57 ? 1 : 0, SRE: flags & 1, EAFE: (flags >> 1) & 1, WPE: (flags >> 2) & 1 });
          s.guestDriver.writeRawEntry(pasid, words);
          s.iommu.bindPasidTable(s.domain, DEVICE, s.config);
          const shadow = Array.from(s.vtd.hostPasidEntry(DEVICE, pasid));
          s.iommu.unbindPasidTable(s.domain, DEVICE);
          const nested = s.vtd.allocNestedDomain(s.domain.vendor, { flags, pgtblAddr, addrWidth });
          s.vtd.attachNestedDomain(nested, DEVICE, pasid);
          expect(Array.from(s.vtd.hostPasidEntry(DEVICE, pasid))).toEqual(shadow);
          expect(shadow[0]! & 1).toBe(1);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('translates through a nested domain on a PASID and on requests without PASID, and invalidates it', () => {
    const s = freshVtdScenario();
    const m = s.mappings.find((x) => x.pasid === 1)!;
    const nested = s.vtd.allocNestedDomain(s.domain.vendor, { flags: IommuVtdS1Flags.SRE, pgtblAddr: s.guestDriver.pageTable(1).root, addrWidth: 48 });
    s.vtd.attachNestedDomain(nested, DEVICE, 1);
    s.vtd.attachNestedDomain(nested, DEVICE);
    const out = GUEST_RAM_HPA + (m.gpa - GUEST_RAM.base);
    expect(s.iommu.translate({ device: DEVICE, pasid: 1, address: m.gva, access: Access.READ | Access.PRIV })).toMatchObject({ ok: true, output: out });
    expect(s.iommu.translate({ device: DEVICE, address: m.gva, access: Access.READ })).toMatchObject({ ok: true, output: out });
    s.guestDriver.pageTable(1).unmap(m.gva, 0x1000);
    expect(s.iommu.translate({ device: DEVICE, pasid: 1, address: m.gva, access: Access.READ })).toMatchObject({ ok: true, cached: true });
    s.vtd.invalidateNestedDomain(nested, [{ addr: m.gva, npages: 1, flags: 0 }]);
    expect(s.vtd.driver.queue.lastBatch.map((d) => [d.type, 'pasid' in d ? d.pasid : -1])).toEqual([
      [6, 1],
      [6, 0],
    ]);
    const r = s.iommu.translate({ device: DEVICE, pasid: 1, address: m.gva, access: Access.READ });
    expect(!r.ok && r.fault.vendor.code).toBe(0x71);
    s.vtd.invalidateNestedDomain(nested, [{ addr: 0, npages: (1n << 64n) - 1n, flags: 0 }]);
    expect(s.vtd.driver.queue.lastBatch).toEqual([expect.objectContaining({ type: 6, granularity: 'pasid', pasid: 1 }), expect.objectContaining({ type: 6, granularity: 'pasid', pasid: 0 })]);
    // Detaching returns requests without PASID to the second level (GPA → HPA).
    s.vtd.detachNestedDomain(DEVICE);
    expect(s.iommu.translate({ device: DEVICE, address: GUEST_RAM.base + 0x2000, access: Access.READ })).toMatchObject({ ok: true, output: GUEST_RAM_HPA + 0x2000 });
    s.vtd.detachNestedDomain(DEVICE, 1);
    expect(Array.from(s.vtd.hostPasidEntry(DEVICE, 1))).toEqual(new Array(16).fill(0));
  });

  it('excludes bindPasidTable and needs a nesting parent the device is attached to', () => {
    const s = freshVtdScenario();
    const nested = s.vtd.allocNestedDomain(s.domain.vendor, { flags: 0, pgtblAddr: GUEST_RAM.base, addrWidth: 48 });
    s.vtd.attachNestedDomain(nested, DEVICE, 3);
    expect(errorCode(() => s.iommu.bindPasidTable(s.domain, DEVICE, s.config))).toBe('DEVICE_BOUND');
    s.vtd.detachNestedDomain(DEVICE, 3);
    s.iommu.bindPasidTable(s.domain, DEVICE, s.config);
    expect(errorCode(() => s.vtd.attachNestedDomain(nested, DEVICE, 3))).toBe('DEVICE_BOUND');
    const paging = s.iommu.createDomain('paging');
    expect(errorCode(() => s.vtd.allocNestedDomain(paging.vendor, { flags: 0, pgtblAddr: 0, addrWidth: 48 }))).toBe('DOMAIN_TYPE');
    expect(errorCode(() => s.vtd.attachNestedDomain(nested, 0x55, 3))).toBe('DEVICE_NOT_ATTACHED');
  });
});
