import { describe, expect, it } from 'vitest';
import {
  Access,
  decodePasidTableConfig,
  encodePasidTableConfig,
  IommuModel,
  isIommuError,
  type GenericFault,
  type PasidTableConfig,
} from '@viommu/core';
import {
  DEFAULT_MODEL_IDR0,
  DEFAULT_SMMU_CAPABILITIES,
  encodeIdRegisters,
  S1DssValue,
  smmuV3ConfigCodec,
  smmuv3Plugin,
  STE,
  type SmmuV3Domain,
} from '../src/index';
import { names, recordCommands } from './support/commands';
import { buildHost, buildNestedGuest, GUEST_RAM_HPA } from './support/setup';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIommuError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('the plugin', () => {
  it('identifies ARM SMMUv3', () => {
    const p = smmuv3Plugin();
    expect(p.model).toBe('arm-smmuv3');
    expect(p.modelId).toBe(IommuModel.ARM_SMMUV3);
    expect(p.configCodec).toBe(smmuV3ConfigCodec);
  });

  it('reports capabilities from the ID registers', () => {
    const h = buildHost();
    expect(h.iommu.capabilities).toEqual({ pasidBits: 20, nesting: true, pageShifts: [12, 21, 30], inputBits: 48, outputBits: 48, pasidTableAlignShift: 6 });
    const noS2 = encodeIdRegisters({ ...DEFAULT_SMMU_CAPABILITIES, s2p: false, ssidSize: 8 });
    const h2 = buildHost({ model: { idr0: noS2.idr0, idr1: noS2.idr1 } });
    expect(h2.iommu.capabilities).toMatchObject({ pasidBits: 8, nesting: false });
    expect(code(() => h2.iommu.createDomain('nesting'))).toBe('DOMAIN_TYPE');
  });
});

describe('the vendor union codec', () => {
  it('encodes the 8 bytes and decodes them back, inside the uapi config', () => {
    const block = { model: IommuModel.ARM_SMMUV3, pasid0DmaNoPasid: true, s1fmt: 2, s1dss: 0 };
    expect(Array.from(smmuV3ConfigCodec.encode(block))).toEqual([1, 2, 0, 0, 0, 0, 0, 0]);
    const config: PasidTableConfig = { version: 1, bytes: 32, basePtr: 0x4000_0000n, pasidBits: 12, model: IommuModel.ARM_SMMUV3, vendor: block };
    const bytes = encodePasidTableConfig(config, smmuV3ConfigCodec);
    expect(Array.from(bytes.subarray(24))).toEqual([1, 2, 0, 0, 0, 0, 0, 0]);
    expect(decodePasidTableConfig(bytes, [smmuV3ConfigCodec])).toEqual(config);
  });

  it('rejects reserved values and non-zero padding', () => {
    expect(code(() => smmuV3ConfigCodec.decode(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0)))).toBe('CONFIG_VENDOR');
    expect(code(() => smmuV3ConfigCodec.decode(Uint8Array.of(0, 3, 0, 0, 0, 0, 0, 0)))).toBe('CONFIG_VENDOR');
    expect(code(() => smmuV3ConfigCodec.decode(Uint8Array.of(0, 0, 3, 0, 0, 0, 0, 0)))).toBe('CONFIG_VENDOR');
    expect(code(() => smmuV3ConfigCodec.decode(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1)))).toBe('CONFIG_VENDOR');
    expect(code(() => smmuV3ConfigCodec.decode(Uint8Array.of(1, 0, 1, 0, 0, 0, 0, 0)))).toBe('CONFIG_VENDOR'); // pasid0 + bypass
    expect(smmuV3ConfigCodec.decode(new Uint8Array(8))).toEqual({ model: IommuModel.ARM_SMMUV3, pasid0DmaNoPasid: false, s1fmt: 0, s1dss: 0 });
  });
});

describe('bind checks', () => {
  const setup = (plugin = {}) => {
    const g = buildNestedGuest({ pasidBits: 4, plugin });
    g.guest.attachPasid(1);
    return g;
  };
  const rejected = (g: ReturnType<typeof setup>, config: PasidTableConfig, expected: string) => {
    const ste = g.smmu.steOf(g.device);
    const cmds = recordCommands(g.smmu);
    expect(code(() => g.iommu.bindPasidTable(g.domain, g.device, config))).toBe(expected);
    expect(g.smmu.steOf(g.device)).toEqual(ste);
    expect(cmds).toEqual([]);
    expect(g.iommu.boundConfig(g.device)).toBeUndefined();
  };

  it('a VT-d table is refused by model (CONFIG_MODEL), a VT-d vendor block by vendor (CONFIG_VENDOR)', () => {
    const g = setup();
    const config = g.guest.pasidTableConfig();
    rejected(g, { ...config, model: IommuModel.INTEL_VTD, vendor: undefined }, 'CONFIG_MODEL');
    rejected(g, { ...config, vendor: { model: IommuModel.INTEL_VTD } }, 'CONFIG_VENDOR');
  });

  it('checks the vendor block and the table against the SMMU, changing nothing', () => {
    const g = setup();
    const config = g.guest.pasidTableConfig();
    const vendor = config.vendor as unknown as Record<string, unknown>;
    rejected(g, { ...config, vendor: { ...vendor, s1fmt: 3 } as never }, 'CONFIG_VENDOR');
    rejected(g, { ...config, vendor: { ...vendor, s1dss: 3 } as never }, 'CONFIG_VENDOR');
    rejected(g, { ...config, vendor: { ...vendor, extra: 1 } as never }, 'CONFIG_VENDOR');
    rejected(g, { ...config, vendor: { ...vendor, pasid0DmaNoPasid: true, s1dss: S1DssValue.BYPASS } as never }, 'CONFIG_VENDOR');
    // A linear table of 16 CDs is 1 KB and must be aligned to it.
    rejected(g, { ...config, basePtr: BigInt(config.basePtr) + 0x40n }, 'CONFIG_ALIGNMENT');
    // A 2-level table of 2^12 CDs with 64 KB leaves has a 32-byte level-1 table: 64-byte alignment.
    rejected(g, { ...config, pasidBits: 12, basePtr: BigInt(config.basePtr) + 0x20n, vendor: { ...vendor, s1fmt: 2 } as never }, 'CONFIG_ALIGNMENT');
    rejected(g, { ...config, basePtr: (1n << 48n) - 0x400n + 0x400n }, 'CONFIG_ADDRESS');
    rejected(g, { ...config, pasidBits: 21 }, 'CONFIG_PASID_BITS');
  });

  it('a 2-level S1Fmt needs IDR0.CD2L', () => {
    const g = setup({ model: { idr0: (DEFAULT_MODEL_IDR0 & ~(1 << 19)) >>> 0 } });
    const config = g.guest.pasidTableConfig();
    rejected(g, { ...config, vendor: { ...(config.vendor as object), s1fmt: 2 } as never }, 'CONFIG_UNSUPPORTED');
    rejected(g, { ...config, vendor: { ...(config.vendor as object), s1fmt: 1 } as never }, 'CONFIG_UNSUPPORTED');
  });

  it('checkBind alone changes nothing', () => {
    const g = setup();
    const ste = g.smmu.steOf(g.device);
    const cmds = recordCommands(g.smmu);
    g.smmu.checkBind(g.domain.vendor, g.device, g.guest.pasidTableConfig());
    expect(g.smmu.steOf(g.device)).toEqual(ste);
    expect(cmds).toEqual([]);
  });
});

describe('bind and unbind STEs', () => {
  it('bind installs Config = nested with the guest table, S1DSS and the domain stage 2; unbind restores the stage-2 STE exactly', () => {
    const g = buildNestedGuest({ pasidBits: 12, cdTableFormat: '2-level-64k' });
    const s2 = g.smmu.steOf(g.device);
    expect(STE.get(s2, 'Config')).toBe(0b110);
    const d = g.domain.vendor as SmmuV3Domain;
    expect(STE.decode(s2)).toMatchObject({ V: 1, S2VMID: d.vmid, S2T0SZ: 16, S2SL0: 2, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2PTW: 1, S2TTB: BigInt(d.table!.root), MEV: 1 });
    const config = g.guest.pasidTableConfig({ pasid0DmaNoPasid: true });
    g.iommu.bindPasidTable(g.domain, g.device, config);
    const nested = g.smmu.steOf(g.device);
    expect(STE.decode(nested)).toMatchObject({
      V: 1,
      Config: 0b111,
      S1Fmt: 2,
      S1ContextPtr: BigInt(config.basePtr),
      S1CDMax: 12,
      S1DSS: 2,
      S1CIR: 1,
      S1COR: 1,
      S1CSH: 3,
      MEV: 1,
      EATS: 0,
    });
    // Words 2..15 (stage 2) are untouched by the bind.
    expect(Array.from(nested.subarray(4))).toEqual(Array.from(s2.subarray(4)));
    g.iommu.unbindPasidTable(g.domain, g.device);
    expect(Array.from(g.smmu.steOf(g.device))).toEqual(Array.from(s2));
  });

  it('bind and unbind drop stale stage-1 TLB entries of the VMID', () => {
    const g = buildNestedGuest();
    const cmds = recordCommands(g.smmu);
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    expect(names(cmds).slice(-2)).toEqual(['CMD_TLBI_NH_ALL', 'CMD_SYNC']);
    expect(cmds.at(-2)!.fields['VMID']).toBe((g.domain.vendor as SmmuV3Domain).vmid);
  });
});

describe('domain types', () => {
  it('identity bypasses, blocked aborts silently, paging translates through stage 2', () => {
    const h = buildHost();
    const identity = h.iommu.createDomain('identity');
    const blocked = h.iommu.createDomain('blocked');
    const paging = h.iommu.createDomain('paging');
    paging.map(0x1_0000, GUEST_RAM_HPA, 0x1000, { read: true });
    h.iommu.attachDevice(identity, 1);
    h.iommu.attachDevice(blocked, 2);
    h.iommu.attachDevice(paging, 3);
    expect(h.iommu.translate({ device: 1, address: 0x1234_5678, access: Access.WRITE })).toMatchObject({ ok: true, output: 0x1234_5678 });
    const faults: GenericFault[] = [];
    h.iommu.registerFaultHandler(2, { onFault: (f) => faults.push(f) });
    const b = h.iommu.translate({ device: 2, address: 0x1000, access: Access.READ });
    expect(b).toMatchObject({ ok: false, recorded: false, fault: { vendor: { name: 'SILENT_ABORT', code: 0 } } });
    expect(faults).toEqual([]);
    expect(h.iommu.translate({ device: 3, address: 0x1_0042, access: Access.READ })).toMatchObject({ ok: true, output: GUEST_RAM_HPA + 0x42 });
    expect(h.iommu.translate({ device: 3, address: 0x1_0042, access: Access.WRITE })).toMatchObject({ ok: false, recorded: true, fault: { reason: 'permission', vendor: { name: 'F_PERMISSION' } } });
    h.iommu.detachDevice(paging, 3);
    expect(h.iommu.translate({ device: 3, address: 0x1_0042, access: Access.READ })).toMatchObject({ ok: false, recorded: false });
  });

  it('a stage-1 paging domain (pagingStage: 1) puts a CD per device and invalidates by ASID', () => {
    const h = buildHost({ pagingStage: 1 });
    const d = h.iommu.createDomain('paging');
    d.map(0x7000_0000, GUEST_RAM_HPA, 0x2000, { read: true, write: true, user: true });
    h.iommu.attachDevice(d, 9);
    const ste = STE.decode(h.smmu.steOf(9));
    expect(ste).toMatchObject({ Config: 0b101, S1CDMax: 0, S2VMID: 0 });
    const req = { device: 9, address: 0x7000_1010, access: Access.WRITE };
    expect(h.iommu.translate(req)).toMatchObject({ ok: true, output: GUEST_RAM_HPA + 0x1010 });
    expect(h.iommu.translate(req)).toMatchObject({ ok: true, cached: true });
    const cmds = recordCommands(h.smmu);
    d.unmap(0x7000_1000, 0x1000);
    expect(names(cmds)).toEqual(['CMD_TLBI_NH_VA', 'CMD_SYNC']);
    expect(cmds[0]!.fields).toMatchObject({ VMID: 0, ASID: (d.vendor as SmmuV3Domain).asid, Address: 0x7000_1000n });
    expect(h.iommu.translate(req)).toMatchObject({ ok: false, fault: { vendor: { name: 'F_TRANSLATION' } } });
    expect(code(() => h.iommu.createDomain('nesting'))).toBeUndefined();
  });
});

describe('generic cache invalidation → native commands', () => {
  it('maps cache, granularity and flags to CMD_TLBI_NH_* / CMD_CFGI_CD* / CMD_ATC_INV', () => {
    const g = buildNestedGuest();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    const vmid = (g.domain.vendor as SmmuV3Domain).vmid;
    const cmds = recordCommands(g.smmu);
    const run = (info: Parameters<typeof g.iommu.cacheInvalidate>[2]) => {
      cmds.length = 0;
      g.iommu.cacheInvalidate(g.domain, g.device, info);
      return cmds.map((c) => ({ name: c.name, ...c.fields }));
    };
    expect(run({ version: 1, cache: 1, granularity: 'domain' })).toMatchObject([{ name: 'CMD_TLBI_NH_ALL', VMID: vmid }, { name: 'CMD_SYNC' }]);
    expect(run({ version: 1, cache: 1, granularity: 'pasid', pasidInfo: { flags: 3, archid: 7, pasid: 1 } })).toMatchObject([{ name: 'CMD_TLBI_NH_ASID', VMID: vmid, ASID: 7 }, { name: 'CMD_SYNC' }]);
    expect(run({ version: 1, cache: 1, granularity: 'pasid', pasidInfo: { flags: 1, archid: 0, pasid: 1 } })).toMatchObject([{ name: 'CMD_TLBI_NH_ALL', VMID: vmid }, { name: 'CMD_SYNC' }]);
    expect(run({ version: 1, cache: 1, granularity: 'addr', addrInfo: { flags: 7, archid: 7, pasid: 1, addr: 0x5000, granuleSize: 4096, nbGranules: 3 } })).toMatchObject([
      { name: 'CMD_TLBI_NH_VA', VMID: vmid, ASID: 7, Address: 0x5000n, TG: 1, NUM: 2, SCALE: 0, Leaf: 1 },
      { name: 'CMD_SYNC' },
    ]);
    expect(run({ version: 1, cache: 1, granularity: 'addr', addrInfo: { flags: 1, archid: 0, pasid: 1, addr: 0x5000, granuleSize: 4096, nbGranules: 1 } })).toMatchObject([
      { name: 'CMD_TLBI_NH_VAA', VMID: vmid, Address: 0x5000n, TG: 0, Leaf: 0 },
      { name: 'CMD_SYNC' },
    ]);
    expect(run({ version: 1, cache: 4, granularity: 'pasid', pasidInfo: { flags: 1, archid: 0, pasid: 3 } })).toMatchObject([{ name: 'CMD_CFGI_CD', StreamID: g.device, SubstreamID: 3, Leaf: 0 }, { name: 'CMD_SYNC' }]);
    expect(run({ version: 1, cache: 4, granularity: 'domain' })).toMatchObject([{ name: 'CMD_CFGI_CD_ALL', StreamID: g.device }, { name: 'CMD_SYNC' }]);
    expect(run({ version: 1, cache: 2, granularity: 'addr', addrInfo: { flags: 1, archid: 0, pasid: 3, addr: 0x1_3000, granuleSize: 4096, nbGranules: 2 } })).toMatchObject([
      // [0x13000, 0x15000) crosses 0x14000: the smallest aligned span holding it is 32 KB at 0x10000 (Size 3).
      { name: 'CMD_ATC_INV', StreamID: g.device, SSV: 1, SubstreamID: 3, Size: 3, Address: 0x1_0000n },
      { name: 'CMD_SYNC' },
    ]);
    expect(code(() => run({ version: 1, cache: 1, granularity: 'pasid', pasidInfo: { flags: 2, archid: 0x1_0000, pasid: 0 } }))).toBe('INVALIDATE_ARGUMENT');
  });

  it('without ATS there is no ATC to invalidate: DEV_IOTLB issues nothing', () => {
    const g = buildNestedGuest({ plugin: { model: { idr0: (DEFAULT_MODEL_IDR0 & ~(1 << 10)) >>> 0 } } });
    const cmds = recordCommands(g.smmu);
    g.iommu.cacheInvalidate(g.domain, g.device, { version: 1, cache: 2, granularity: 'pasid', pasidInfo: { flags: 1, archid: 0, pasid: 1 } });
    expect(cmds).toEqual([]);
  });
});
