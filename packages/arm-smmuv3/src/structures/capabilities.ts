/**
 * Typed SMMU capabilities decoded from SMMU_IDR0/1/5, the inverse encoding, and a default fully-featured
 * SMMUv3 [SPEC 6.3.1, 6.3.2, 6.3.6]. Every structure check in this package takes a {@link SmmuCapabilities}.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';
import { addressSizeBits } from './address-size';
import { SMMU_IDR0, SMMU_IDR1, SMMU_IDR5 } from './id-registers';

/** The three feature registers as 32-bit values. */
export interface SmmuIdRegisters {
  /** SMMU_IDR0 (offset 0x0). */
  readonly idr0: number;
  /** SMMU_IDR1 (offset 0x4). */
  readonly idr1: number;
  /** SMMU_IDR5 (offset 0x14). */
  readonly idr5: number;
}

/**
 * What an SMMU implements, one property per ID register field (booleans for single-bit fields, the raw
 * encoding for multi-bit ones) plus two derived sizes, {@link SmmuCapabilities.oasBits} and
 * {@link SmmuCapabilities.ias}.
 */
export interface SmmuCapabilities {
  /** IDR0.S2P: stage 2 translation supported. */
  readonly s2p: boolean;
  /** IDR0.S1P: stage 1 translation supported. */
  readonly s1p: boolean;
  /** IDR0.TTF[0]: VMSAv8-32 LPAE tables supported. */
  readonly ttfAArch32: boolean;
  /** IDR0.TTF[1]: VMSAv8-64 tables supported. */
  readonly ttfAArch64: boolean;
  /** IDR0.COHACC: coherent table/queue access. */
  readonly cohacc: boolean;
  /** IDR0.BTM: broadcast TLB maintenance. */
  readonly btm: boolean;
  /** IDR0.HTTU: 0 none, 1 Access flag, 2 Access flag and Dirty state, 3 also table Access flag. */
  readonly httu: number;
  /** IDR0.DORMHINT. */
  readonly dormhint: boolean;
  /** IDR0.Hyp: NS-EL2 StreamWorld (STE.STRW = 0b10) supported. */
  readonly hyp: boolean;
  /** IDR0.ATS: PCIe ATS supported. */
  readonly ats: boolean;
  /** IDR0.NS1ATS: split-stage ATS is NOT supported when true. */
  readonly ns1ats: boolean;
  /** IDR0.ASID16: 16-bit ASIDs. */
  readonly asid16: boolean;
  /** IDR0.MSI. */
  readonly msi: boolean;
  /** IDR0.SEV. */
  readonly sev: boolean;
  /** IDR0.ATOS. */
  readonly atos: boolean;
  /** IDR0.PRI: Page Request Interface. */
  readonly pri: boolean;
  /** IDR0.VMW: VMID wildcards. */
  readonly vmw: boolean;
  /** IDR0.VMID16: 16-bit VMIDs. */
  readonly vmid16: boolean;
  /** IDR0.CD2L: 2-level CD tables. */
  readonly cd2l: boolean;
  /** IDR0.VATOS. */
  readonly vatos: boolean;
  /** IDR0.TTENDIAN: 0 mixed, 1 reserved, 2 little-endian only, 3 big-endian only. */
  readonly ttEndian: number;
  /** IDR0.ATSRECERR. */
  readonly atsRecErr: boolean;
  /** IDR0.STALL_MODEL: 0 stall and terminate, 1 terminate only, 2 stall forced, 3 reserved. */
  readonly stallModel: number;
  /** IDR0.TERM_MODEL: 0 CD.A selects abort or RAZ/WI, 1 always abort. */
  readonly termModel: number;
  /** IDR0.ST_LEVEL: 0 linear Stream table only, 1 2-level also supported. */
  readonly stLevel: number;
  /** IDR0.RME_IMPL. */
  readonly rmeImpl: boolean;
  /** IDR1.SIDSIZE: StreamID bits (0..32). */
  readonly sidSize: number;
  /** IDR1.SSIDSIZE: SubstreamID bits (0..20). */
  readonly ssidSize: number;
  /** IDR1.PRIQS: log2 PRI queue entries. */
  readonly priqs: number;
  /** IDR1.EVENTQS: log2 Event queue entries. */
  readonly eventqs: number;
  /** IDR1.CMDQS: log2 Command queue entries. */
  readonly cmdqs: number;
  /** IDR1.ATTR_PERMS_OVR. */
  readonly attrPermsOvr: boolean;
  /** IDR1.ATTR_TYPES_OVR. */
  readonly attrTypesOvr: boolean;
  /** IDR1.REL. */
  readonly rel: boolean;
  /** IDR1.QUEUES_PRESET. */
  readonly queuesPreset: boolean;
  /** IDR1.TABLES_PRESET. */
  readonly tablesPreset: boolean;
  /** IDR1.ECMDQ. */
  readonly ecmdq: boolean;
  /** IDR5.OAS encoding (see {@link addressSizeBits}). */
  readonly oas: number;
  /** IDR5.GRAN4K. */
  readonly gran4k: boolean;
  /** IDR5.GRAN16K. */
  readonly gran16k: boolean;
  /** IDR5.GRAN64K. */
  readonly gran64k: boolean;
  /** IDR5.DS: 52-bit addresses with 4KB/16KB granules. */
  readonly ds: boolean;
  /** IDR5.VAX: 0 48-bit, 1 52-bit, 2 56-bit VAs. */
  readonly vax: number;
  /** IDR5.STALL_MAX. */
  readonly stallMax: number;
  /** Derived: the output address size in bits, from OAS. Ignored by {@link encodeIdRegisters}. */
  readonly oasBits: number;
  /**
   * Derived: the intermediate address size in bits, MAX(TTF[0] ? 40 : 0, TTF[1] ? OAS : 0) [SPEC 3.4].
   * Ignored by {@link encodeIdRegisters}.
   */
  readonly ias: number;
}

/** The capabilities you can pass to {@link encodeIdRegisters}: everything except the derived sizes. */
export type SmmuCapabilityFields = Omit<SmmuCapabilities, 'oasBits' | 'ias'>;

/** IAS in bits [SPEC 3.4]: 40 when AArch32 LPAE is supported (or OAS if larger), else OAS. */
export function intermediateAddressSize(ttfAArch32: boolean, ttfAArch64: boolean, oasBits: number): number {
  return Math.max(ttfAArch32 ? 40 : 0, ttfAArch64 ? oasBits : 0);
}

/**
 * Decodes SMMU_IDR0/1/5 into typed capabilities.
 * @throws IommuError `CONFIG_UNSUPPORTED` when IDR5.D128 is set: VMSAv9-128 descriptors change the meaning
 * of STE.S2AA64 and CD.AA64 and are not modelled.
 */
export function decodeCapabilities(idr: SmmuIdRegisters): SmmuCapabilities {
  const r0 = Uint32Array.of(idr.idr0 >>> 0);
  const r1 = Uint32Array.of(idr.idr1 >>> 0);
  const r5 = Uint32Array.of(idr.idr5 >>> 0);
  const b0 = (name: Parameters<typeof SMMU_IDR0.get>[1]) => SMMU_IDR0.get(r0, name) === 1;
  if (SMMU_IDR5.get(r5, 'D128') === 1) {
    throw new IommuError('CONFIG_UNSUPPORTED', 'SMMU_IDR5.D128 = 1 (VMSAv9-128) is not modelled');
  }
  const ttf = SMMU_IDR0.get(r0, 'TTF');
  const oas = SMMU_IDR5.get(r5, 'OAS');
  const oasBits = addressSizeBits(oas);
  return {
    s2p: b0('S2P'),
    s1p: b0('S1P'),
    ttfAArch32: (ttf & 1) === 1,
    ttfAArch64: (ttf & 2) === 2,
    cohacc: b0('COHACC'),
    btm: b0('BTM'),
    httu: SMMU_IDR0.get(r0, 'HTTU'),
    dormhint: b0('DORMHINT'),
    hyp: b0('HYP'),
    ats: b0('ATS'),
    ns1ats: b0('NS1ATS'),
    asid16: b0('ASID16'),
    msi: b0('MSI'),
    sev: b0('SEV'),
    atos: b0('ATOS'),
    pri: b0('PRI'),
    vmw: b0('VMW'),
    vmid16: b0('VMID16'),
    cd2l: b0('CD2L'),
    vatos: b0('VATOS'),
    ttEndian: SMMU_IDR0.get(r0, 'TTENDIAN'),
    atsRecErr: b0('ATSRECERR'),
    stallModel: SMMU_IDR0.get(r0, 'STALL_MODEL'),
    termModel: SMMU_IDR0.get(r0, 'TERM_MODEL'),
    stLevel: SMMU_IDR0.get(r0, 'ST_LEVEL'),
    rmeImpl: b0('RME_IMPL'),
    sidSize: SMMU_IDR1.get(r1, 'SIDSIZE'),
    ssidSize: SMMU_IDR1.get(r1, 'SSIDSIZE'),
    priqs: SMMU_IDR1.get(r1, 'PRIQS'),
    eventqs: SMMU_IDR1.get(r1, 'EVENTQS'),
    cmdqs: SMMU_IDR1.get(r1, 'CMDQS'),
    attrPermsOvr: SMMU_IDR1.get(r1, 'ATTR_PERMS_OVR') === 1,
    attrTypesOvr: SMMU_IDR1.get(r1, 'ATTR_TYPES_OVR') === 1,
    rel: SMMU_IDR1.get(r1, 'REL') === 1,
    queuesPreset: SMMU_IDR1.get(r1, 'QUEUES_PRESET') === 1,
    tablesPreset: SMMU_IDR1.get(r1, 'TABLES_PRESET') === 1,
    ecmdq: SMMU_IDR1.get(r1, 'ECMDQ') === 1,
    oas,
    gran4k: SMMU_IDR5.get(r5, 'GRAN4K') === 1,
    gran16k: SMMU_IDR5.get(r5, 'GRAN16K') === 1,
    gran64k: SMMU_IDR5.get(r5, 'GRAN64K') === 1,
    ds: SMMU_IDR5.get(r5, 'DS') === 1,
    vax: SMMU_IDR5.get(r5, 'VAX'),
    stallMax: SMMU_IDR5.get(r5, 'STALL_MAX'),
    oasBits,
    ias: intermediateAddressSize((ttf & 1) === 1, (ttf & 2) === 2, oasBits),
  };
}

const bit = (b: boolean) => (b ? 1 : 0);

/**
 * Builds SMMU_IDR0/1/5 from capabilities (the inverse of {@link decodeCapabilities}; the derived
 * `oasBits` and `ias` are ignored, reserved bits are zero).
 * @throws IommuError `FIELD_RANGE` when a numeric capability does not fit its field.
 */
export function encodeIdRegisters(caps: SmmuCapabilityFields): SmmuIdRegisters {
  const idr0 = SMMU_IDR0.encode({
    S2P: bit(caps.s2p),
    S1P: bit(caps.s1p),
    TTF: bit(caps.ttfAArch32) | (bit(caps.ttfAArch64) << 1),
    COHACC: bit(caps.cohacc),
    BTM: bit(caps.btm),
    HTTU: caps.httu,
    DORMHINT: bit(caps.dormhint),
    HYP: bit(caps.hyp),
    ATS: bit(caps.ats),
    NS1ATS: bit(caps.ns1ats),
    ASID16: bit(caps.asid16),
    MSI: bit(caps.msi),
    SEV: bit(caps.sev),
    ATOS: bit(caps.atos),
    PRI: bit(caps.pri),
    VMW: bit(caps.vmw),
    VMID16: bit(caps.vmid16),
    CD2L: bit(caps.cd2l),
    VATOS: bit(caps.vatos),
    TTENDIAN: caps.ttEndian,
    ATSRECERR: bit(caps.atsRecErr),
    STALL_MODEL: caps.stallModel,
    TERM_MODEL: caps.termModel,
    ST_LEVEL: caps.stLevel,
    RME_IMPL: bit(caps.rmeImpl),
  });
  const idr1 = SMMU_IDR1.encode({
    SIDSIZE: caps.sidSize,
    SSIDSIZE: caps.ssidSize,
    PRIQS: caps.priqs,
    EVENTQS: caps.eventqs,
    CMDQS: caps.cmdqs,
    ATTR_PERMS_OVR: bit(caps.attrPermsOvr),
    ATTR_TYPES_OVR: bit(caps.attrTypesOvr),
    REL: bit(caps.rel),
    QUEUES_PRESET: bit(caps.queuesPreset),
    TABLES_PRESET: bit(caps.tablesPreset),
    ECMDQ: bit(caps.ecmdq),
  });
  const idr5 = SMMU_IDR5.encode({
    OAS: caps.oas,
    GRAN4K: bit(caps.gran4k),
    GRAN16K: bit(caps.gran16k),
    GRAN64K: bit(caps.gran64k),
    DS: bit(caps.ds),
    VAX: caps.vax,
    STALL_MAX: caps.stallMax,
  });
  return { idr0: idr0[0]!, idr1: idr1[0]!, idr5: idr5[0]! };
}

/**
 * ID registers of a fully-featured SMMUv3 (the model's default): both stages, AArch64 tables only, HTTU
 * Access flag + Dirty state, Hyp, ATS, PRI, 16-bit ASIDs and VMIDs, 2-level CD and Stream tables, MSI, SEV,
 * COHACC, little-endian walks, stall and terminate models; 16-bit StreamIDs, 20-bit SubstreamIDs, 256-entry
 * queues; 48-bit OAS (code 5), 4KB/16KB/64KB granules, 48-bit VAs, STALL_MAX 128.
 *
 * - IDR0 = 0x084D769B: S2P, S1P, TTF=0b10, COHACC, HTTU=0b10, Hyp, ATS, ASID16, MSI, SEV, PRI, VMID16, CD2L,
 *   TTENDIAN=0b10, ST_LEVEL=0b01.
 * - IDR1 = 0x01084510: SIDSIZE=16, SSIDSIZE=20, PRIQS=8, EVENTQS=8, CMDQS=8.
 * - IDR5 = 0x00800075: OAS=0b101, GRAN4K, GRAN16K, GRAN64K, STALL_MAX=128.
 */
export const DEFAULT_SMMU_IDR: SmmuIdRegisters = Object.freeze({ idr0: 0x084d769b, idr1: 0x01084510, idr5: 0x00800075 });

/** {@link DEFAULT_SMMU_IDR} decoded. */
export const DEFAULT_SMMU_CAPABILITIES: SmmuCapabilities = Object.freeze(decodeCapabilities(DEFAULT_SMMU_IDR));

/**
 * True when SMMU_IDR0.TTENDIAN allows translation table walks of the given endianness
 * (CD.ENDI / STE.S2ENDI = 1 for big-endian) [SPEC 5.2.2, 5.4.2]: only 0b10 (little only) and 0b11 (big
 * only) restrict it.
 */
export function tableEndiannessSupported(caps: Pick<SmmuCapabilities, 'ttEndian'>, bigEndian: boolean): boolean {
  if (caps.ttEndian === 2) return !bigEndian;
  if (caps.ttEndian === 3) return bigEndian;
  return true;
}
