/**
 * A minimal but complete vendor plugin over core's test-only toy format, used to test the testkit itself:
 * a guest PASID table of 8-byte entries (bit 0 valid, bits 51:12 stage-1 root GPA) read through stage 2,
 * toy stage 1 over toy stage 2, an IOTLB tagged by domain and PASID, and a 6-word fault record.
 * `brokenIsolation` makes it read the PASID table as if its GPA were a host address, and `ignorePasidTag` makes
 * its IOTLB ignore the PASID — bugs the isolation property exists to catch.
 */
import {
  Access,
  ConfigCache,
  GLOBAL_SUBTAG,
  Iommu,
  IommuError,
  Iotlb,
  NestedTranslator,
  PageTableBuilder,
  PoolAllocator,
  TranslatedMemory,
  type DmaRequest,
  type DmaResult,
  type DomainType,
  type FaultReason,
  type GenericFault,
  type IommuHost,
  type PasidTableConfig,
  type StageContext,
  type TranslateOptions,
  type TranslationFault,
  type VendorDomain,
  type VendorIommu,
  type VendorPlugin,
} from '@viommu/core';
import { createToyFormat } from '../../../core/test/support/toy-format';
import type { Scenario, ScenarioEnv } from '../../src/index';

export const EXAMPLE_MODEL_ID = 200;
const REASONS: FaultReason[] = ['unknown', 'pasid-fetch', 'bad-pasid-entry', 'pasid-invalid', 'walk-eabt', 'pte-fetch', 'permission', 'access', 'oor-address'];

const s1Format = createToyFormat({ levels: 3, outputBits: 40, stage: 1 });
const s2Format = createToyFormat({ levels: 3, outputBits: 40, stage: 2 });

interface ExampleDomain extends VendorDomain {
  id: number;
  stage2: StageContext | undefined;
}

interface DeviceConfig {
  domain: ExampleDomain;
  table?: { base: number; pasidBits: number };
}

function encodeRecord(f: GenericFault | { reason: FaultReason; pasid?: number; addr?: bigint; perm: number; fetchAddr?: bigint }): Uint32Array {
  const w = new Uint32Array(6);
  w[0] = REASONS.indexOf(f.reason) | (f.perm << 8) | ((f.pasid !== undefined ? 1 : 0) << 12) | ((f.addr !== undefined ? 1 : 0) << 13) | ((f.fetchAddr !== undefined ? 1 : 0) << 14);
  w[1] = f.pasid ?? 0;
  const a = f.addr ?? 0n;
  w[2] = Number(a & 0xffff_ffffn);
  w[3] = Number(a >> 32n);
  const fa = f.fetchAddr ?? 0n;
  w[4] = Number(fa & 0xffff_ffffn);
  w[5] = Number(fa >> 32n);
  return w;
}

function decodeRecord(w: Uint32Array): GenericFault {
  const reason = REASONS[w[0]! & 0xff] ?? 'unknown';
  return {
    reason,
    perm: (w[0]! >>> 8) & 0xf,
    pasid: (w[0]! >>> 12) & 1 ? w[1]! : undefined,
    addr: (w[0]! >>> 13) & 1 ? (BigInt(w[3]!) << 32n) | BigInt(w[2]!) : undefined,
    fetchAddr: (w[0]! >>> 14) & 1 ? (BigInt(w[5]!) << 32n) | BigInt(w[4]!) : undefined,
    vendor: { model: 'example', name: reason.toUpperCase(), code: REASONS.indexOf(reason), record: w },
  };
}

function walkReason(f: TranslationFault): FaultReason {
  if (f.kind === 'externalAbort') return 'walk-eabt';
  if (f.kind === 'permission') return 'permission';
  if (f.kind === 'access') return 'access';
  if (f.kind === 'addressSize' || f.kind === 'inputRange') return 'oor-address';
  return 'pte-fetch';
}

export function createExamplePlugin(options: { brokenIsolation?: boolean; ignorePasidTag?: boolean } = {}): VendorPlugin {
  const plugin: VendorPlugin = {
    model: 'example',
    modelId: EXAMPLE_MODEL_ID,
    description: 'toy-format example vendor (testkit self-test)',
    createIommu(host: IommuHost): VendorIommu {
      const translator = new NestedTranslator(host.memory);
      const devices = new Map<number, DeviceConfig>();
      const iotlb = new Iotlb(1024);
      const entries = new ConfigCache<number>();
      let nextDomain = 1;

      const fault = (req: DmaRequest, reason: FaultReason, walk?: TranslationFault): DmaResult => {
        const addr = BigInt.asUintN(64, BigInt(req.address));
        const g = decodeRecord(
          encodeRecord({ reason, pasid: req.pasid, addr, perm: req.access & 0xf, ...(walk?.fetchAddress !== undefined ? { fetchAddr: BigInt(walk.fetchAddress) } : {}) }),
        );
        return { ok: false, fault: g, recorded: true, walk };
      };

      const iommu: VendorIommu = {
        plugin,
        capabilities: { pasidBits: 8, nesting: true, pageShifts: [12, 21, 30], inputBits: 39, outputBits: 40, pasidTableAlignShift: 12 },
        createDomain(type: DomainType): ExampleDomain {
          const id = nextDomain++;
          const builder = type === 'paging' || type === 'nesting' ? new PageTableBuilder(s2Format, host.memory, host.allocator) : undefined;
          return {
            type,
            id,
            stage2: builder ? { format: s2Format, root: builder.root } : undefined,
            map: (iova, pa, size, prot) => builder!.map(iova, pa, size, prot),
            unmap: (iova, size) => {
              const n = builder!.unmap(iova, size);
              iotlb.invalidateDomain(id);
              return n;
            },
            iovaToPhys: (iova) => builder?.iovaToPhys(iova),
          };
        },
        attachDevice: (domain, device) => void devices.set(device, { domain: domain as ExampleDomain }),
        detachDevice: (_domain, device) => {
          devices.delete(device);
          entries.invalidateDevice(device);
        },
        checkBind(_domain, _device, config: PasidTableConfig) {
          if (config.vendor && Object.keys(config.vendor).length > 1) throw new IommuError('CONFIG_VENDOR', 'the example vendor block has no fields');
        },
        bindPasidTable(domain, device, config) {
          devices.set(device, { domain: domain as ExampleDomain, table: { base: Number(config.basePtr), pasidBits: config.pasidBits } });
          entries.invalidateDevice(device);
          iotlb.invalidateDomain((domain as ExampleDomain).id);
        },
        unbindPasidTable(domain, device) {
          devices.set(device, { domain: domain as ExampleDomain });
          entries.invalidateDevice(device);
          iotlb.invalidateDomain((domain as ExampleDomain).id);
        },
        cacheInvalidate(domain, device, info) {
          const id = (domain as ExampleDomain).id;
          if (info.granularity === 'domain') iotlb.invalidateDomain(id);
          else if (info.granularity === 'pasid') iotlb.invalidateSubTag(id, info.pasidInfo!.pasid);
          else {
            const a = info.addrInfo!;
            iotlb.invalidateRange(id, a.flags & 1 ? a.pasid : undefined, { start: a.addr, size: a.granuleSize * a.nbGranules });
          }
          if (info.cache & 4) entries.invalidateDevice(device);
        },
        translate(req: DmaRequest, opts: TranslateOptions = {}): DmaResult {
          const dev = devices.get(req.device);
          const addrBig = BigInt.asUintN(64, BigInt(req.address));
          if (!dev || dev.domain.type === 'blocked') return fault(req, 'unknown');
          if (addrBig >= 1n << 39n) return fault(req, 'oor-address');
          const address = Number(addrBig);
          if (dev.domain.type === 'identity') return { ok: true, output: address, pageShift: 12, permitted: 63, cached: false };
          const pasid = req.pasid ?? 0;
          const subTag = dev.table && !options.ignorePasidTag ? pasid : GLOBAL_SUBTAG;
          if (!opts.uncached && !opts.trace) {
            const hit = iotlb.lookup(dev.domain.id, subTag, address);
            if (hit) {
              const need = req.access & Access.PRIV ? (req.access & 7) << 3 : req.access & 7;
              if ((hit.permitted & need) === need) return { ok: true, output: hit.output + (address - hit.input), pageShift: hit.pageShift, permitted: hit.permitted, cached: true };
            }
          }
          translator.trace = opts.trace;
          let stage1: StageContext | undefined;
          if (dev.table) {
            if (pasid >= 2 ** dev.table.pasidBits) return fault(req, 'pasid-invalid');
            let root = opts.uncached ? undefined : entries.get(req.device, pasid);
            if (root === undefined) {
              const at = dev.table.base + pasid * 8;
              let words: Uint32Array | TranslationFault;
              if (options.brokenIsolation) {
                const w = new Uint32Array(2);
                const lo = host.memory.read32(at);
                const hi = host.memory.read32(at + 4);
                words = lo < 0 || hi < 0 ? ({ ok: false } as TranslationFault) : (w.set([lo, hi]), w);
              } else {
                words = translator.readThroughStage2(dev.domain.stage2, at, 2, 'PASID entry');
              }
              if (!(words instanceof Uint32Array)) return fault(req, 'pasid-fetch', words.ok === false && 'kind' in words ? words : undefined);
              if ((words[0]! & 1) === 0 || (words[1]! & 0xfff0_0000) !== 0) return fault(req, 'bad-pasid-entry');
              root = (words[1]! & 0xfffff) * 2 ** 32 + (words[0]! & 0xffff_f000);
              if (!opts.uncached) entries.set(req.device, pasid, root);
            }
            stage1 = { format: s1Format, root };
          }
          const r = translator.translate({ stage1, stage2: dev.domain.stage2 }, address, req.access);
          translator.trace = undefined;
          if (!r.ok) return fault(req, walkReason(r), r);
          if (!opts.uncached && !opts.trace) {
            const size = 2 ** r.pageShift;
            iotlb.insert(dev.domain.id, subTag, {
              input: Math.floor(address / size) * size,
              output: r.output - (address % size),
              pageShift: r.pageShift,
              permitted: r.cachePermitted,
              level: r.s1Level,
              ipa: r.ipa,
              hasStage1: !!stage1,
              hasStage2: true,
            });
          }
          return { ok: true, output: r.output, pageShift: r.pageShift, permitted: r.permitted, cached: false };
        },
        faultToRecord: (f) => encodeRecord(f),
        recordToFault: (w) => decodeRecord(w),
      };
      return iommu;
    },
  };
  return plugin;
}

/** Host layout of the example scenario. */
const HOST_POOL = { base: 0x100_0000, size: 0x40_0000 };
const GUEST_RAM_HPA = 0x800_0000;
const GUEST_RAM = { base: 0x4000_0000, size: 0x100_0000 };

export function createExampleScenario(plugin: VendorPlugin, env: ScenarioEnv): Scenario {
  env.sparse.back(HOST_POOL.base, HOST_POOL.size).back(GUEST_RAM_HPA, GUEST_RAM.size);
  const allocator = new PoolAllocator(env.memory, HOST_POOL.base, HOST_POOL.size);
  const iommu = new Iommu(plugin, { memory: env.memory, allocator });
  const domain = iommu.createDomain('nesting');
  domain.map(GUEST_RAM.base, GUEST_RAM_HPA, GUEST_RAM.size, { read: true, write: true, exec: true });
  const device = 3;
  iommu.attachDevice(domain, device);
  const guestMemory = new TranslatedMemory(env.memory, (gpa) => domain.iovaToPhys(gpa));
  // Guest layout: PASID table at the start of guest RAM, a table pool after it, data pages in the upper half.
  const guestAlloc = new PoolAllocator(guestMemory, GUEST_RAM.base, GUEST_RAM.size / 2);
  const table = guestAlloc.allocate(4096, 4096);
  const builders = new Map<number, PageTableBuilder>();
  const pasids = [0, 1, 5];
  for (const p of pasids) {
    const b = new PageTableBuilder(s1Format, guestMemory, guestAlloc);
    builders.set(p, b);
    guestMemory.write64(table + p * 8, Math.floor(b.root / 2 ** 32), (b.root >>> 0) | 1);
  }
  const dataBase = GUEST_RAM.base + GUEST_RAM.size / 2;
  // Every PASID maps the same GVA to its own pages: an entry cached for one must never answer another.
  const mappings = pasids.map((p, i) => ({ pasid: p, gva: 0x10_0000, gpa: dataBase + 0x10_0000 * i, size: 0x4000, write: true }));
  for (const m of mappings) builders.get(m.pasid)!.map(m.gva, m.gpa, m.size, { read: true, write: true, user: true });
  const builderOf = (p: number | undefined) => builders.get(p ?? 0)!;
  return {
    iommu,
    domain,
    device,
    config: { version: 1, bytes: 32, basePtr: BigInt(table), pasidBits: 4, model: EXAMPLE_MODEL_ID },
    hostOwned: [HOST_POOL],
    guestImage: [{ base: GUEST_RAM_HPA, size: GUEST_RAM.size }],
    guestRam: GUEST_RAM,
    guestMemory,
    mappings,
    pasids,
    guest: {
      map: (p, gva, gpa, size, prot) => builderOf(p).map(gva, gpa, size, prot),
      unmap: (p, gva, size) => void builderOf(p).unmap(gva, size),
      invalidate: (p, gva, size) =>
        iommu.cacheInvalidate(domain, device, {
          version: 1,
          cache: 1,
          granularity: 'addr',
          addrInfo: { flags: 1, archid: 0, pasid: p ?? 0, addr: gva, granuleSize: 4096, nbGranules: Math.max(1, size / 4096) },
        }),
    },
  };
}

