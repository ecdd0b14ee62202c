/**
 * A test-only vendor plugin that records every call core makes, to check the generic API's state machine
 * (what reaches the vendor, in which order, and that failed calls reach nothing).
 */
import {
  IommuModel,
  SparseMemory,
  PoolAllocator,
  type DmaRequest,
  type DmaResult,
  type DomainType,
  type GenericFault,
  type IommuHost,
  type PasidTableConfig,
  type VendorDomain,
  type VendorIommu,
  type VendorPlugin,
} from '../../src/index';
import { IommuError } from '../../src/errors';

export interface RecordingPlugin extends VendorPlugin {
  calls: string[];
  instance?: RecordingIommu;
}

export interface RecordingIommu extends VendorIommu {
  calls: string[];
  /** Next translate outcome. */
  nextResult: DmaResult | undefined;
}

export function createRecordingPlugin(options: { modelId?: number; pasidBits?: number; nesting?: boolean } = {}): RecordingPlugin {
  const calls: string[] = [];
  const plugin: RecordingPlugin = {
    model: 'recording',
    modelId: options.modelId ?? IommuModel.ARM_SMMUV3,
    description: 'records calls (test only)',
    calls,
    createIommu(_host: IommuHost): VendorIommu {
      const mappings = new Map<number, number>();
      const iommu: RecordingIommu = {
        plugin,
        calls,
        nextResult: undefined,
        capabilities: {
          pasidBits: options.pasidBits ?? 20,
          nesting: options.nesting ?? true,
          pageShifts: [12],
          inputBits: 48,
          outputBits: 48,
          pasidTableAlignShift: 6,
        },
        createDomain(type: DomainType): VendorDomain {
          calls.push(`createDomain ${type}`);
          return {
            type,
            map(iova, pa, size) {
              calls.push(`map ${iova} ${pa} ${size}`);
              for (let o = 0; o < size; o += 4096) mappings.set(iova + o, pa + o);
            },
            unmap(iova, size) {
              calls.push(`unmap ${iova} ${size}`);
              let n = 0;
              for (let o = 0; o < size; o += 4096) if (mappings.delete(iova + o)) n += 4096;
              return n;
            },
            iovaToPhys: (iova) => mappings.get(iova),
          };
        },
        freeDomain: (d) => void calls.push(`freeDomain ${d.type}`),
        attachDevice: (_d, dev) => void calls.push(`attach ${dev}`),
        detachDevice: (_d, dev) => void calls.push(`detach ${dev}`),
        checkBind(_d, dev, config: PasidTableConfig) {
          calls.push(`checkBind ${dev}`);
          if ((config.vendor as { reject?: boolean } | undefined)?.reject) throw new IommuError('CONFIG_VENDOR', 'vendor says no');
        },
        bindPasidTable: (_d, dev) => void calls.push(`bind ${dev}`),
        unbindPasidTable: (_d, dev) => void calls.push(`unbind ${dev}`),
        cacheInvalidate: (_d, dev, info) => void calls.push(`invalidate ${dev} ${info.granularity}`),
        translate(request: DmaRequest): DmaResult {
          calls.push(`translate ${request.device}`);
          return iommu.nextResult ?? { ok: true, output: 0, pageShift: 12, permitted: 63, cached: false };
        },
        faultToRecord: (fault: GenericFault) => fault.vendor.record,
        recordToFault: (record) => ({ reason: 'unknown', perm: 0, vendor: { model: 'recording', name: 'X', code: 0, record } }),
        pageResponse: (dev, r) => void calls.push(`pageResponse ${dev} ${r.group} ${r.code}`),
      };
      plugin.instance = iommu;
      return iommu;
    },
  };
  return plugin;
}

export function makeHost(): IommuHost {
  const memory = new SparseMemory().back(0, 1 << 24);
  return { memory, allocator: new PoolAllocator(memory, 0, 1 << 24) };
}
