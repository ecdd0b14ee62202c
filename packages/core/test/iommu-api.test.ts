import { describe, expect, it } from 'vitest';
import {
  Iommu,
  IommuModel,
  bindPasidTable,
  isIommuError,
  unbindPasidTable,
  attachDevice,
  detachDevice,
  type GenericFault,
  type PasidTableConfig,
} from '../src/index';
import { createRecordingPlugin, makeHost } from './support/recording-plugin';

const cfg: PasidTableConfig = { version: 1, bytes: 32, basePtr: 0x8000n, pasidBits: 8, model: IommuModel.ARM_SMMUV3 };

function setup(options?: Parameters<typeof createRecordingPlugin>[0]) {
  const plugin = createRecordingPlugin(options);
  const iommu = new Iommu(plugin, makeHost());
  const domain = iommu.createDomain('nesting');
  iommu.attachDevice(domain, 7);
  plugin.calls.length = 0;
  return { plugin, iommu, domain };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIommuError(e) ? e.code : 'not-an-IommuError';
  }
  return undefined;
}

describe('bindPasidTable / unbindPasidTable', () => {
  it('binds, unbinds and rebinds, reaching the vendor in order', () => {
    const { plugin, iommu, domain } = setup();
    bindPasidTable(domain, 7, cfg);
    expect(iommu.boundConfig(7)).toEqual(cfg);
    unbindPasidTable(domain, 7);
    expect(iommu.boundConfig(7)).toBeUndefined();
    bindPasidTable(domain, 7, cfg);
    expect(plugin.calls).toEqual(['checkBind 7', 'bind 7', 'unbind 7', 'checkBind 7', 'bind 7']);
  });

  it('keeps its own copy of the config', () => {
    const { iommu, domain } = setup();
    const mine = { ...cfg };
    bindPasidTable(domain, 7, mine);
    mine.pasidBits = 1;
    expect(iommu.boundConfig(7)?.pasidBits).toBe(8);
  });

  type Setup = ReturnType<typeof setup>;
  /** [what, code, prepare (may succeed), the failing call] */
  const failures: [string, string, ((s: Setup) => void) | undefined, (s: Setup) => void][] = [
    ['unknown version', 'CONFIG_VERSION', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, version: 9 })],
    ['bytes too small', 'CONFIG_BYTES', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, bytes: 8 })],
    ['pasidBits above the IOMMU', 'CONFIG_PASID_BITS', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, pasidBits: 21 })],
    ['basePtr misaligned', 'CONFIG_ALIGNMENT', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, basePtr: 0x8020n })],
    ['basePtr beyond the guest space', 'CONFIG_ADDRESS', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, basePtr: 1n << 48n })],
    ['model of another vendor', 'CONFIG_MODEL', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, model: IommuModel.INTEL_VTD })],
    ['vendor block of another vendor', 'CONFIG_VENDOR', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, vendor: { model: IommuModel.INTEL_VTD } })],
    ['vendor check fails', 'CONFIG_VENDOR', undefined, ({ domain }) => bindPasidTable(domain, 7, { ...cfg, vendor: { model: IommuModel.ARM_SMMUV3, reject: true } as never })],
    ['device not attached', 'DEVICE_NOT_ATTACHED', undefined, ({ domain }) => bindPasidTable(domain, 8, cfg)],
    ['non-nesting domain', 'DOMAIN_TYPE', ({ iommu }) => iommu.attachDevice(iommu.createDomain('paging'), 9), ({ iommu }) => iommu.bindPasidTable(iommu.domainOf(9)!, 9, cfg)],
    ['double bind', 'BIND_ALREADY', ({ domain }) => bindPasidTable(domain, 7, cfg), ({ domain }) => bindPasidTable(domain, 7, { ...cfg, pasidBits: 4 })],
    ['unbind without bind', 'BIND_NONE', undefined, ({ domain }) => unbindPasidTable(domain, 7)],
    ['detach while bound', 'DEVICE_BOUND', ({ domain }) => bindPasidTable(domain, 7, cfg), ({ domain }) => detachDevice(domain, 7)],
    ['attach while attached elsewhere', 'DEVICE_ATTACHED', undefined, ({ iommu }) => attachDevice(iommu.createDomain('paging'), 7)],
    ['domain of another IOMMU', 'DOMAIN_IOMMU', undefined, ({ domain }) => new Iommu(createRecordingPlugin(), makeHost()).bindPasidTable(domain, 7, cfg)],
  ];

  const mutating = /^(bind|unbind|attach|detach|map|unmap|invalidate) /;
  for (const [what, code, prepare, fail] of failures) {
    it(`rejects ${what} with ${code} and changes nothing`, () => {
      const s = setup();
      prepare?.(s);
      const bound = s.iommu.boundConfig(7);
      const domainOf7 = s.iommu.domainOf(7);
      const devices = [...s.domain.devices];
      const callsBefore = s.plugin.calls.length;
      expect(codeOf(() => fail(s))).toBe(code);
      expect(s.plugin.calls.slice(callsBefore).filter((c) => mutating.test(c))).toEqual([]);
      expect(s.iommu.boundConfig(7)).toEqual(bound);
      expect(s.iommu.domainOf(7)).toBe(domainOf7);
      expect([...s.domain.devices]).toEqual(devices);
    });
  }

  it('refuses a nesting domain on an IOMMU without nesting', () => {
    const iommu = new Iommu(createRecordingPlugin({ nesting: false }), makeHost());
    expect(codeOf(() => iommu.createDomain('nesting'))).toBe('DOMAIN_TYPE');
    expect(codeOf(() => iommu.createDomain('bogus' as never))).toBe('DOMAIN_TYPE');
  });
});

describe('domains', () => {
  it('map/unmap reach the vendor for paging and nesting domains only', () => {
    const { iommu, domain } = setup();
    domain.map(0x1000, 0x2000, 0x1000, { read: true });
    expect(domain.iovaToPhys(0x1000)).toBe(0x2000);
    expect(domain.unmap(0x1000, 0x1000)).toBe(0x1000);
    const blocked = iommu.createDomain('blocked');
    expect(codeOf(() => blocked.map(0, 0, 0x1000, {}))).toBe('DOMAIN_TYPE');
    expect(blocked.iovaToPhys(0)).toBeUndefined();
  });

  it('freeDomain needs the domain empty, then releases the vendor state', () => {
    const { plugin, iommu, domain } = setup();
    expect(codeOf(() => iommu.freeDomain(domain))).toBe('DOMAIN_HAS_DEVICES');
    iommu.detachDevice(domain, 7);
    iommu.freeDomain(domain);
    expect(plugin.calls.at(-1)).toBe('freeDomain nesting');
    expect(codeOf(() => iommu.attachDevice(domain, 7))).toBe('DOMAIN_IOMMU');
  });
});

describe('cache invalidation and fault reporting', () => {
  it('checks invalidations before the vendor sees them', () => {
    const { plugin, iommu, domain } = setup();
    expect(codeOf(() => iommu.cacheInvalidate(domain, 7, { version: 1, cache: 2, granularity: 'domain' }))).toBe('INVALIDATE_COMBINATION');
    iommu.cacheInvalidate(domain, 7, { version: 1, cache: 1, granularity: 'domain' });
    expect(plugin.calls).toEqual(['invalidate 7 domain']);
  });

  it('delivers recorded faults to the device handler, not suppressed ones', () => {
    const { plugin, iommu } = setup();
    const seen: GenericFault[] = [];
    iommu.registerFaultHandler(7, { onFault: (f) => seen.push(f) });
    expect(codeOf(() => iommu.registerFaultHandler(7, {}))).toBe('FAULT_HANDLER');
    const fault: GenericFault = { reason: 'permission', perm: 2, addr: 0x1000n, vendor: { model: 'recording', name: 'F_PERMISSION', code: 0x13, record: new Uint32Array(8) } };
    plugin.instance!.nextResult = { ok: false, fault, recorded: true };
    iommu.translate({ device: 7, address: 0x1000, access: 2 });
    plugin.instance!.nextResult = { ok: false, fault, recorded: false };
    iommu.translate({ device: 7, address: 0x1000, access: 2 });
    expect(seen).toEqual([fault]);
  });

  it('tracks page requests until answered', () => {
    const { plugin, iommu } = setup();
    const requests: unknown[] = [];
    iommu.registerFaultHandler(7, { onPageRequest: (r) => requests.push(r) });
    const pageRequest = { pasid: 3, group: 5, perm: 1, addr: 0x4000n, last: true };
    plugin.instance!.nextResult = { ok: false, fault: { reason: 'unknown', perm: 1, vendor: { model: 'r', name: 'PRQ', code: 0, record: new Uint32Array(4) } }, recorded: false, pageRequest };
    iommu.translate({ device: 7, pasid: 3, address: 0x4000, access: 1 });
    expect(requests).toEqual([pageRequest]);
    expect(iommu.pendingPageRequests(7)).toEqual([pageRequest]);
    expect(codeOf(() => iommu.pageResponse(7, { pasid: 3, group: 6, code: 'success' }))).toBe('PAGE_RESPONSE');
    expect(codeOf(() => iommu.pageResponse(7, { pasid: 3, group: 5, code: 'bogus' as never }))).toBe('PAGE_RESPONSE');
    iommu.pageResponse(7, { pasid: 3, group: 5, code: 'success' });
    expect(plugin.calls.at(-1)).toBe('pageResponse 7 5 success');
    expect(iommu.pendingPageRequests(7)).toEqual([]);
  });
});
