/**
 * Decoding and encoding of invalidation-queue descriptors (VT-d spec §6.5.2) in their 128-bit and 256-bit
 * (IQA_REG.DW=1) forms. A descriptor the hardware would reject — unknown type, a reserved bit set, a reserved
 * granularity encoding, or non-zero qw2/qw3 for types 1–8 in 256-bit mode — decodes to a
 * {@link QiDescriptorInvalid} carrying the IQERCD_REG.IQEI code hardware reports for it (3 invalid type,
 * 4 reserved-field violation) instead of throwing.
 * @packageDocumentation
 */
import { IommuError, type StructureLayout, anyBitSet, getField, getFieldBig, setFieldBig } from '@viommu/core';
import { assertIntegerInRange } from './argument-checks';
import { QI_DESCRIPTOR_LAYOUTS } from './qi-descriptor-layouts';

/** Descriptor type codes. */
export const QiDescriptorType = {
  /** Context-cache invalidate. */
  CONTEXT_CACHE: 1,
  /** IOTLB invalidate. */
  IOTLB: 2,
  /** Device-TLB invalidate. */
  DEVICE_TLB: 3,
  /** Interrupt-entry-cache invalidate. */
  INTERRUPT_ENTRY_CACHE: 4,
  /** Invalidation wait. */
  WAIT: 5,
  /** PASID-based IOTLB invalidate. */
  PASID_IOTLB: 6,
  /** PASID-cache invalidate. */
  PASID_CACHE: 7,
  /** PASID-based device-TLB invalidate. */
  PASID_DEVICE_TLB: 8,
  /** Page-group response. */
  PAGE_GROUP_RESPONSE: 9,
} as const;

/** Granularity names and their G encodings, per descriptor type. */
export const QI_GRANULARITIES = {
  /** Context-cache invalidate. */
  1: {
    /** 01b: every context-cache entry. */
    global: 1,
    /** 10b: the entries of one domain (DID). */
    domain: 2,
    /** 11b: the entries of one device (DID, SID, FM). */
    device: 3,
  },
  /** IOTLB invalidate. */
  2: {
    /** 01b: every IOTLB entry. */
    global: 1,
    /** 10b: the entries of one domain (DID). */
    domain: 2,
    /** 11b: 2^AM pages at ADDR within one domain. */
    page: 3,
  },
  /** Interrupt-entry-cache invalidate. */
  4: {
    /** 0: 2^IM entries at IIDX. */
    index: 0,
    /** 1: every entry. */
    global: 1,
  },
  /** PASID-based IOTLB invalidate. */
  6: {
    /** 10b: every non-global mapping of the PASID in the domain. */
    pasid: 2,
    /** 11b: 2^AM pages at ADDR for the PASID in the domain. */
    page: 3,
  },
  /** PASID-cache invalidate. */
  7: {
    /** 00b: every PASID of the domain (DID). */
    domain: 0,
    /** 01b: one PASID of the domain (DID, PASID). */
    pasid: 1,
    /** 11b: every PASID-cache entry. */
    global: 3,
  },
} as const;

/** Type 1: context-cache invalidate. */
export interface QiContextCacheDescriptor {
  /** Descriptor type. */
  readonly type: 1;
  /** Global, domain-selective (DID) or device-selective (DID, SID, FM). */
  readonly granularity: keyof (typeof QI_GRANULARITIES)[1];
  /** Domain-ID. */
  readonly did: number;
  /** Source-ID. */
  readonly sid: number;
  /** Function mask. */
  readonly fm: number;
}

/** Type 2: IOTLB invalidate. */
export interface QiIotlbDescriptor {
  /** Descriptor type. */
  readonly type: 2;
  /** Global, domain-selective (DID) or page-selective within the domain (DID, ADDR, AM). */
  readonly granularity: keyof (typeof QI_GRANULARITIES)[2];
  /** Drain writes. */
  readonly drainWrites: boolean;
  /** Drain reads. */
  readonly drainReads: boolean;
  /** Domain-ID. */
  readonly did: number;
  /** Address mask: 2^am pages. */
  readonly am: number;
  /** Invalidation hint (leaf-only change). */
  readonly ih: boolean;
  /** First page address (bits 11:0 zero). */
  readonly address: bigint;
}

/** Type 3: device-TLB invalidate. */
export interface QiDeviceTlbDescriptor {
  /** Descriptor type. */
  readonly type: 3;
  /** Physical-function source-ID (PFSID_HI:PFSID_LO). */
  readonly pfsid: number;
  /** Invalidate queue depth. */
  readonly qdep: number;
  /** Source-ID of the device. */
  readonly sid: number;
  /** Size bit: the address encodes a range. */
  readonly size: boolean;
  /** Page address (bits 11:0 zero). */
  readonly address: bigint;
}

/** Type 4: interrupt-entry-cache invalidate. */
export interface QiInterruptEntryCacheDescriptor {
  /** Descriptor type. */
  readonly type: 4;
  /** Index-selective (IIDX, IM) or global. */
  readonly granularity: keyof (typeof QI_GRANULARITIES)[4];
  /** Index mask. */
  readonly im: number;
  /** Interrupt index. */
  readonly iidx: number;
}

/** Type 5: invalidation wait. */
export interface QiWaitDescriptor {
  /** Descriptor type. */
  readonly type: 5;
  /** IF: signal completion through ICS_REG.IWC. */
  readonly interruptFlag: boolean;
  /** SW: write statusData to statusAddress. */
  readonly statusWrite: boolean;
  /** FN: fence. */
  readonly fence: boolean;
  /** PD: page-request drain. */
  readonly pageRequestDrain: boolean;
  /** Status data (32 bits). */
  readonly statusData: number;
  /** Status address (bits 1:0 zero). */
  readonly statusAddress: bigint;
}

/** Type 6: PASID-based IOTLB invalidate. */
export interface QiPasidIotlbDescriptor {
  /** Descriptor type. */
  readonly type: 6;
  /** All non-global mappings of the PASID, or page-selective within it. */
  readonly granularity: keyof (typeof QI_GRANULARITIES)[6];
  /** Domain-ID. */
  readonly did: number;
  /** PASID. */
  readonly pasid: number;
  /** Address mask. */
  readonly am: number;
  /** Invalidation hint. */
  readonly ih: boolean;
  /** First page address (bits 11:0 zero). */
  readonly address: bigint;
}

/** Type 7: PASID-cache invalidate. */
export interface QiPasidCacheDescriptor {
  /** Descriptor type. */
  readonly type: 7;
  /** Domain-selective, PASID-selective within the domain, or global. */
  readonly granularity: keyof (typeof QI_GRANULARITIES)[7];
  /** Domain-ID. */
  readonly did: number;
  /** PASID. */
  readonly pasid: number;
}

/** Type 8: PASID-based device-TLB invalidate. */
export interface QiPasidDeviceTlbDescriptor {
  /** Descriptor type. */
  readonly type: 8;
  /** Invalidate queue depth. */
  readonly qdep: number;
  /** Physical-function source-ID. */
  readonly pfsid: number;
  /** Source-ID of the device. */
  readonly sid: number;
  /** PASID. */
  readonly pasid: number;
  /** Global bit. */
  readonly global: boolean;
  /** Size bit. */
  readonly size: boolean;
  /** Page address (bits 11:0 zero). */
  readonly address: bigint;
}

/** Type 9: page-group response. */
export interface QiPageGroupResponseDescriptor {
  /** Descriptor type. */
  readonly type: 9;
  /** PP: the response carries a PASID. */
  readonly pasidPresent: boolean;
  /** PDP: private data present. */
  readonly privateDataPresent: boolean;
  /** Response code (0 success, 1 invalid request, 0xF failure). */
  readonly responseCode: number;
  /** Requester-ID. */
  readonly rid: number;
  /** PASID. */
  readonly pasid: number;
  /** LPIG: last page in group. */
  readonly lastPageInGroup: boolean;
  /** Page request group index. */
  readonly prgIndex: number;
  /** qw2 and qw3 of a 256-bit descriptor (the page request's private data); undefined in 128-bit mode. */
  readonly privateData?: readonly [bigint, bigint] | undefined;
}

/** Any valid invalidation-queue descriptor, discriminated by `type`. */
export type QiDescriptor =
  | QiContextCacheDescriptor
  | QiIotlbDescriptor
  | QiDeviceTlbDescriptor
  | QiInterruptEntryCacheDescriptor
  | QiWaitDescriptor
  | QiPasidIotlbDescriptor
  | QiPasidCacheDescriptor
  | QiPasidDeviceTlbDescriptor
  | QiPageGroupResponseDescriptor;

/** A descriptor the hardware rejects with an invalidation-queue error (FSTS_REG.IQE). */
export interface QiDescriptorInvalid {
  /** Why: unknown type, reserved bit set, or reserved granularity encoding. */
  readonly invalid: 'type' | 'reserved' | 'granularity';
  /** The IQERCD_REG.IQEI value: 3 invalid descriptor type, 4 reserved-field violation. */
  readonly iqei: 3 | 4;
  /** The type field value (bits 3:0 | bits 11:9 << 4). */
  readonly type: number;
  /** Which rule failed. */
  readonly detail: string;
}

/** True when a decode result is a rejection. */
export function isQiDescriptorInvalid(d: QiDescriptor | QiDescriptorInvalid): d is QiDescriptorInvalid {
  return 'invalid' in d;
}

/** The type field of a descriptor: bits 3:0 with bits 11:9 as type[6:4]. */
export function qiDescriptorType(words: ArrayLike<number>): number {
  return getField(words, 0, 4) | (getField(words, 9, 3) << 4);
}

type AnyLayout = StructureLayout<string>;

function granularityName(type: keyof typeof QI_GRANULARITIES, g: number): string | undefined {
  const table = QI_GRANULARITIES[type] as Readonly<Record<string, number>>;
  return Object.keys(table).find((name) => table[name] === g);
}

function pfsidOf(get: (name: string) => number): number {
  return get('PFSID_LO') | (get('PFSID_HI') << 4);
}

/**
 * Decodes one descriptor. `words` holds 4 (128-bit) or 8 (256-bit, `dw256`) 32-bit words, least significant
 * first.
 * @throws IommuError `ARGUMENT` when `words` is shorter than the descriptor size.
 */
export function decodeQiDescriptor(words: ArrayLike<number>, dw256: boolean): QiDescriptor | QiDescriptorInvalid {
  const needed = dw256 ? 8 : 4;
  if (words.length < needed) {
    throw new IommuError('ARGUMENT', `a ${dw256 ? 256 : 128}-bit descriptor needs ${needed} words, got ${words.length}`);
  }
  const type = qiDescriptorType(words);
  const reject = (invalid: QiDescriptorInvalid['invalid'], detail: string): QiDescriptorInvalid => ({
    invalid,
    iqei: invalid === 'type' ? 3 : 4,
    type,
    detail,
  });
  if (type < 1 || type > 9) return reject('type', `descriptor type ${type} is not defined`);
  const layout = QI_DESCRIPTOR_LAYOUTS[type as keyof typeof QI_DESCRIPTOR_LAYOUTS] as AnyLayout;
  const violations = layout.reservedViolations(words);
  if (violations.length > 0) {
    const [first] = violations;
    return reject('reserved', `type ${type} reserved bits [${first!.hi}:${first!.lo}] set`);
  }
  if (dw256 && type !== QiDescriptorType.PAGE_GROUP_RESPONSE && anyBitSet(words, 128, 128)) {
    return reject('reserved', `type ${type} qw2/qw3 must be zero in 256-bit mode`);
  }
  const get = (name: string) => layout.get(words, name);
  const flag = (name: string) => get(name) === 1;
  const address = () => getFieldBig(words, 76, 52) << 12n;
  if (type in QI_GRANULARITIES) {
    const g = get('G');
    if (granularityName(type as keyof typeof QI_GRANULARITIES, g) === undefined) {
      return reject('granularity', `type ${type} granularity G=${g} is reserved`);
    }
  }
  const gran = <T extends keyof typeof QI_GRANULARITIES>(t: T) =>
    granularityName(t, get('G')) as keyof (typeof QI_GRANULARITIES)[T];
  switch (type) {
    case 1:
      return { type: 1, granularity: gran(1), did: get('DID'), sid: get('SID'), fm: get('FM') };
    case 2:
      return {
        type: 2,
        granularity: gran(2),
        drainWrites: flag('DW'),
        drainReads: flag('DR'),
        did: get('DID'),
        am: get('AM'),
        ih: flag('IH'),
        address: address(),
      };
    case 3:
      return { type: 3, pfsid: pfsidOf(get), qdep: get('QDEP'), sid: get('SID'), size: flag('S'), address: address() };
    case 4:
      return { type: 4, granularity: gran(4), im: get('IM'), iidx: get('IIDX') };
    case 5:
      return {
        type: 5,
        interruptFlag: flag('IF'),
        statusWrite: flag('SW'),
        fence: flag('FN'),
        pageRequestDrain: flag('PD'),
        statusData: get('STDATA'),
        statusAddress: getFieldBig(words, 66, 62) << 2n,
      };
    case 6:
      return { type: 6, granularity: gran(6), did: get('DID'), pasid: get('PASID'), am: get('AM'), ih: flag('IH'), address: address() };
    case 7:
      return { type: 7, granularity: gran(7), did: get('DID'), pasid: get('PASID') };
    case 8:
      return {
        type: 8,
        qdep: get('QDEP'),
        pfsid: pfsidOf(get),
        sid: get('SID'),
        pasid: get('PASID'),
        global: flag('G'),
        size: flag('S'),
        address: address(),
      };
    default:
      return {
        type: 9,
        pasidPresent: flag('PP'),
        privateDataPresent: flag('PDP'),
        responseCode: get('RC'),
        rid: get('RID'),
        pasid: get('PASID'),
        lastPageInGroup: flag('LPIG'),
        prgIndex: get('PRGI'),
        privateData: dw256 ? [getFieldBig(words, 128, 64), getFieldBig(words, 192, 64)] : undefined,
      };
  }
}

const bitOf = (b: boolean) => (b ? 1 : 0);

function gEncoding(type: keyof typeof QI_GRANULARITIES, name: string): number {
  const table = QI_GRANULARITIES[type] as Readonly<Record<string, number>>;
  const g = table[name];
  if (g === undefined) throw new IommuError('FIELD_RANGE', `type ${type} has no granularity ${name}`, { type, granularity: name });
  return g;
}

function pfsidFields(pfsid: number): { PFSID_LO: number; PFSID_HI: number } {
  assertIntegerInRange('pfsid', pfsid, 0, 0xffff);
  return { PFSID_LO: pfsid & 0xf, PFSID_HI: pfsid >>> 4 };
}

/**
 * Encodes a descriptor into 4 words (128-bit) or 8 words (`dw256`; qw2/qw3 zero, or the private data of a
 * page-group response).
 * @throws IommuError `FIELD_RANGE` when a value does not fit its field (e.g. an unaligned address), `ARGUMENT`
 * for an out-of-range PFSID.
 */
export function encodeQiDescriptor(desc: QiDescriptor, dw256: boolean): Uint32Array {
  const layout = QI_DESCRIPTOR_LAYOUTS[desc.type] as AnyLayout;
  let values: Record<string, number | bigint>;
  switch (desc.type) {
    case 1:
      values = { G: gEncoding(1, desc.granularity), DID: desc.did, SID: desc.sid, FM: desc.fm };
      break;
    case 2:
      values = {
        G: gEncoding(2, desc.granularity),
        DW: bitOf(desc.drainWrites),
        DR: bitOf(desc.drainReads),
        DID: desc.did,
        AM: desc.am,
        IH: bitOf(desc.ih),
        ADDR: desc.address,
      };
      break;
    case 3:
      values = { ...pfsidFields(desc.pfsid), QDEP: desc.qdep, SID: desc.sid, S: bitOf(desc.size), ADDR: desc.address };
      break;
    case 4:
      values = { G: gEncoding(4, desc.granularity), IM: desc.im, IIDX: desc.iidx };
      break;
    case 5:
      values = {
        IF: bitOf(desc.interruptFlag),
        SW: bitOf(desc.statusWrite),
        FN: bitOf(desc.fence),
        PD: bitOf(desc.pageRequestDrain),
        STDATA: desc.statusData,
        STADDR: desc.statusAddress,
      };
      break;
    case 6:
      values = { G: gEncoding(6, desc.granularity), DID: desc.did, PASID: desc.pasid, AM: desc.am, IH: bitOf(desc.ih), ADDR: desc.address };
      break;
    case 7:
      values = { G: gEncoding(7, desc.granularity), DID: desc.did, PASID: desc.pasid };
      break;
    case 8:
      values = {
        ...pfsidFields(desc.pfsid),
        QDEP: desc.qdep,
        SID: desc.sid,
        PASID: desc.pasid,
        G: bitOf(desc.global),
        S: bitOf(desc.size),
        ADDR: desc.address,
      };
      break;
    case 9:
      values = {
        PP: bitOf(desc.pasidPresent),
        PDP: bitOf(desc.privateDataPresent),
        RC: desc.responseCode,
        RID: desc.rid,
        PASID: desc.pasid,
        LPIG: bitOf(desc.lastPageInGroup),
        PRGI: desc.prgIndex,
      };
      break;
  }
  const small = layout.encode({ ...values, TYPE_LO: desc.type });
  if (!dw256) return small;
  const words = new Uint32Array(8);
  words.set(small);
  if (desc.type === QiDescriptorType.PAGE_GROUP_RESPONSE && desc.privateData) {
    setFieldBig(words, 128, 64, BigInt.asUintN(64, desc.privateData[0]));
    setFieldBig(words, 192, 64, BigInt.asUintN(64, desc.privateData[1]));
  }
  return words;
}
