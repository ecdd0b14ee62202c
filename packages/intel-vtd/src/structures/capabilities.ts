/**
 * CAP_REG and ECAP_REG (VT-d spec §11.4.2, §11.4.3): field tables, a typed {@link VtdCapabilities} view, and a
 * fully-featured default register pair for the model.
 *
 * Bits not listed in the tables are reserved (read as zero); decoding drops them and encoding writes zero, so
 * `encode(decode(x))` equals `x` restricted to the defined bits ({@link CAP_DEFINED_MASK},
 * {@link ECAP_DEFINED_MASK}). SLLPS bits 37:36 (512 GB / 1 TB pages) are reserved in current revisions and
 * are not modelled either.
 * @packageDocumentation
 */
import { IommuError, defineStructure, u64sFromWords, wordsFromU64s } from '@viommu/core';

/** CAP_REG (offset 0x08) field table, §11.4.2. */
export const VTD_CAP_LAYOUT = defineStructure({
  name: 'CAP_REG',
  bits: 64,
  fields: [
    { name: 'ND', hi: 2, lo: 0, doc: 'Number of domains supported: 2^(4 + 2·ND) domain-ids' },
    { name: 'AFL', hi: 3, lo: 3, doc: 'Advanced fault logging supported' },
    { name: 'RWBF', hi: 4, lo: 4, doc: 'Required write-buffer flushing' },
    { name: 'PLMR', hi: 5, lo: 5, doc: 'Protected low-memory region supported' },
    { name: 'PHMR', hi: 6, lo: 6, doc: 'Protected high-memory region supported' },
    { name: 'CM', hi: 7, lo: 7, doc: 'Caching mode: not-present and erroneous entries may be cached' },
    {
      name: 'SAGAW',
      hi: 12,
      lo: 8,
      doc: 'Supported adjusted guest address widths, one bit per second-level AW value: bit n set = AGAW 30 + 9·n (bit 1 39-bit, bit 2 48-bit, bit 3 57-bit)',
    },
    { name: 'MGAW', hi: 21, lo: 16, doc: 'Maximum guest address width − 1' },
    { name: 'ZLR', hi: 22, lo: 22, doc: 'Zero-length DMA reads to write-only pages supported' },
    { name: 'FRO', hi: 33, lo: 24, shift: 4, doc: 'Fault-recording register offset from the register base, in bytes (field × 16)' },
    { name: 'SLLPS', hi: 37, lo: 34, values: { 1: '2MB', 2: '1GB', 3: '2MB+1GB' }, doc: 'Second-level large page support: bit 34 2 MB, bit 35 1 GB' },
    { name: 'PSI', hi: 39, lo: 39, doc: 'Page-selective invalidation supported' },
    { name: 'NFR', hi: 47, lo: 40, doc: 'Number of fault-recording registers − 1' },
    { name: 'MAMV', hi: 53, lo: 48, doc: 'Maximum address mask value for page-selective invalidation' },
    { name: 'DWD', hi: 54, lo: 54, doc: 'Write draining supported' },
    { name: 'DRD', hi: 55, lo: 55, doc: 'Read draining supported' },
    { name: 'FL1GP', hi: 56, lo: 56, doc: 'First-level 1 GB pages supported' },
    { name: 'PI', hi: 59, lo: 59, doc: 'Posted interrupts supported' },
    { name: 'FL5LP', hi: 60, lo: 60, doc: 'First-level 5-level paging supported' },
    { name: 'ESIRTPS', hi: 62, lo: 62, doc: 'Enhanced set-interrupt-remap-table-pointer supported' },
    { name: 'ESRTPS', hi: 63, lo: 63, doc: 'Enhanced set-root-table-pointer supported' },
  ],
});

/** ECAP_REG (offset 0x10) field table, §11.4.3. */
export const VTD_ECAP_LAYOUT = defineStructure({
  name: 'ECAP_REG',
  bits: 64,
  fields: [
    { name: 'C', hi: 0, lo: 0, doc: 'Page-walk coherency (legacy mode)' },
    { name: 'QI', hi: 1, lo: 1, doc: 'Queued invalidation supported' },
    { name: 'DT', hi: 2, lo: 2, doc: 'Device-TLB (ATS) supported' },
    { name: 'IR', hi: 3, lo: 3, doc: 'Interrupt remapping supported' },
    { name: 'EIM', hi: 4, lo: 4, doc: 'Extended interrupt mode (x2APIC) supported' },
    { name: 'PT', hi: 6, lo: 6, doc: 'Pass-through translation supported' },
    { name: 'SC', hi: 7, lo: 7, doc: 'Snoop control supported' },
    { name: 'IRO', hi: 17, lo: 8, shift: 4, doc: 'IOTLB register offset from the register base, in bytes (field × 16)' },
    { name: 'MHMV', hi: 23, lo: 20, doc: 'Maximum handle mask value (interrupt-entry-cache invalidation)' },
    { name: 'MTS', hi: 25, lo: 25, doc: 'Memory type supported' },
    { name: 'NEST', hi: 26, lo: 26, doc: 'Nested translation (PGTT=011b) supported' },
    { name: 'DIS', hi: 27, lo: 27, doc: 'Deferred invalidation supported' },
    { name: 'PRS', hi: 29, lo: 29, doc: 'Page requests supported' },
    { name: 'ERS', hi: 30, lo: 30, doc: 'Execute requests supported' },
    { name: 'SRS', hi: 31, lo: 31, doc: 'Supervisor requests supported' },
    { name: 'NWFS', hi: 33, lo: 33, doc: 'No-write flag supported' },
    { name: 'EAFS', hi: 34, lo: 34, doc: 'Extended accessed flag supported' },
    { name: 'PSS', hi: 39, lo: 35, doc: 'PASID size supported − 1 (PASID bits = PSS + 1)' },
    { name: 'PASID', hi: 40, lo: 40, doc: 'PASID supported' },
    { name: 'DIT', hi: 41, lo: 41, doc: 'Device-TLB invalidation throttling supported' },
    { name: 'PDS', hi: 42, lo: 42, doc: 'Page-request drain supported' },
    { name: 'SMTS', hi: 43, lo: 43, doc: 'Scalable-mode translation supported' },
    { name: 'VCS', hi: 44, lo: 44, doc: 'Virtual command supported' },
    { name: 'SLADS', hi: 45, lo: 45, doc: 'Second-level accessed/dirty supported' },
    { name: 'SLTS', hi: 46, lo: 46, doc: 'Second-level translation supported (PGTT=010b)' },
    { name: 'FLTS', hi: 47, lo: 47, doc: 'First-level translation supported (PGTT=001b)' },
    { name: 'SMPWC', hi: 48, lo: 48, doc: 'Scalable-mode page-walk coherency' },
    { name: 'RPS', hi: 49, lo: 49, doc: 'RID_PASID supported' },
    { name: 'PMS', hi: 51, lo: 51, doc: 'Performance monitoring supported' },
    { name: 'ADMS', hi: 52, lo: 52, doc: 'Abort-DMA mode (RTADDR_REG.TTM=11b) supported' },
    { name: 'RPRIVS', hi: 53, lo: 53, doc: 'RID_PRIV supported' },
  ],
});

function fieldMask(fields: readonly { readonly hi: number; readonly lo: number }[]): bigint {
  let mask = 0n;
  for (const f of fields) mask |= ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
  return mask;
}

/** CAP_REG bits this model decodes: every field bit except the reserved SLLPS bits 37:36. */
export const CAP_DEFINED_MASK: bigint = fieldMask(VTD_CAP_LAYOUT.spec.fields) & ~(0x3n << 36n);
/** ECAP_REG bits this model decodes: every field bit. */
export const ECAP_DEFINED_MASK: bigint = fieldMask(VTD_ECAP_LAYOUT.spec.fields);

/**
 * CAP_REG and ECAP_REG decoded. Counts, widths and offsets are given in their natural units (bits, bytes,
 * registers); flags are booleans named after the specification's field mnemonics.
 */
export interface VtdCapabilities {
  /** CAP.ND: 2^(4 + 2·nd) domain-ids are supported (domain-id width 4 + 2·nd bits). */
  readonly nd: number;
  /** CAP.AFL: advanced fault logging. */
  readonly afl: boolean;
  /** CAP.RWBF: required write-buffer flushing. */
  readonly rwbf: boolean;
  /** CAP.PLMR: protected low-memory region. */
  readonly plmr: boolean;
  /** CAP.PHMR: protected high-memory region. */
  readonly phmr: boolean;
  /** CAP.CM: caching mode. */
  readonly cm: boolean;
  /**
   * CAP.SAGAW as the set of supported second-level adjusted guest address widths in bits, ascending
   * (30, 39, 48, 57, 66 for SAGAW bits 0–4; AW value n ↔ width 30 + 9·n).
   */
  readonly sagaw: readonly number[];
  /** CAP.MGAW + 1: the maximum guest (input) address width in bits. */
  readonly mgawBits: number;
  /** CAP.ZLR: zero-length reads. */
  readonly zlr: boolean;
  /** CAP.FRO × 16: byte offset of the first fault-recording register. */
  readonly faultRecordOffset: number;
  /** CAP.SLLPS bit 34: second-level 2 MB pages. */
  readonly sl2MPages: boolean;
  /** CAP.SLLPS bit 35: second-level 1 GB pages. */
  readonly sl1GPages: boolean;
  /** CAP.PSI: page-selective invalidation. */
  readonly psi: boolean;
  /** CAP.NFR + 1: number of fault-recording registers. */
  readonly faultRecordCount: number;
  /** CAP.MAMV: maximum address mask value. */
  readonly mamv: number;
  /** CAP.DWD: write draining. */
  readonly dwd: boolean;
  /** CAP.DRD: read draining. */
  readonly drd: boolean;
  /** CAP.FL1GP: first-level 1 GB pages. */
  readonly fl1gp: boolean;
  /** CAP.PI: posted interrupts. */
  readonly pi: boolean;
  /** CAP.FL5LP: first-level 5-level paging. */
  readonly fl5lp: boolean;
  /** CAP.ESIRTPS. */
  readonly esirtps: boolean;
  /** CAP.ESRTPS. */
  readonly esrtps: boolean;
  /** ECAP.C: page-walk coherency. */
  readonly c: boolean;
  /** ECAP.QI: queued invalidation. */
  readonly qi: boolean;
  /** ECAP.DT: device-TLBs. */
  readonly dt: boolean;
  /** ECAP.IR: interrupt remapping. */
  readonly ir: boolean;
  /** ECAP.EIM: extended interrupt mode. */
  readonly eim: boolean;
  /** ECAP.PT: pass-through. */
  readonly pt: boolean;
  /** ECAP.SC: snoop control. */
  readonly sc: boolean;
  /** ECAP.IRO × 16: byte offset of the IOTLB registers. */
  readonly iotlbRegisterOffset: number;
  /** ECAP.MHMV. */
  readonly mhmv: number;
  /** ECAP.MTS: memory types. */
  readonly mts: boolean;
  /** ECAP.NEST: nested translation. */
  readonly nest: boolean;
  /** ECAP.DIS: deferred invalidation. */
  readonly dis: boolean;
  /** ECAP.PRS: page requests. */
  readonly prs: boolean;
  /** ECAP.ERS: execute requests. */
  readonly ers: boolean;
  /** ECAP.SRS: supervisor requests. */
  readonly srs: boolean;
  /** ECAP.NWFS: no-write flag. */
  readonly nwfs: boolean;
  /** ECAP.EAFS: extended accessed flag. */
  readonly eafs: boolean;
  /** ECAP.PSS + 1: supported PASID width in bits (1..20 in current revisions). */
  readonly pasidBits: number;
  /** ECAP.PASID: PASID support. */
  readonly pasid: boolean;
  /** ECAP.DIT: device-TLB invalidation throttling. */
  readonly dit: boolean;
  /** ECAP.PDS: page-request drain. */
  readonly pds: boolean;
  /** ECAP.SMTS: scalable mode. */
  readonly smts: boolean;
  /** ECAP.VCS: virtual command. */
  readonly vcs: boolean;
  /** ECAP.SLADS: second-level accessed/dirty. */
  readonly slads: boolean;
  /** ECAP.SLTS: second-level translation. */
  readonly slts: boolean;
  /** ECAP.FLTS: first-level translation. */
  readonly flts: boolean;
  /** ECAP.SMPWC: scalable-mode page-walk coherency. */
  readonly smpwc: boolean;
  /** ECAP.RPS: RID_PASID support. */
  readonly rps: boolean;
  /** ECAP.PMS: performance monitoring. */
  readonly pms: boolean;
  /** ECAP.ADMS: abort-DMA mode. */
  readonly adms: boolean;
  /** ECAP.RPRIVS: RID_PRIV support. */
  readonly rprivs: boolean;
}

/** Flags stored one-to-one: capability property → [register, field]. */
const FLAGS = {
  afl: ['cap', 'AFL'],
  rwbf: ['cap', 'RWBF'],
  plmr: ['cap', 'PLMR'],
  phmr: ['cap', 'PHMR'],
  cm: ['cap', 'CM'],
  zlr: ['cap', 'ZLR'],
  psi: ['cap', 'PSI'],
  dwd: ['cap', 'DWD'],
  drd: ['cap', 'DRD'],
  fl1gp: ['cap', 'FL1GP'],
  pi: ['cap', 'PI'],
  fl5lp: ['cap', 'FL5LP'],
  esirtps: ['cap', 'ESIRTPS'],
  esrtps: ['cap', 'ESRTPS'],
  c: ['ecap', 'C'],
  qi: ['ecap', 'QI'],
  dt: ['ecap', 'DT'],
  ir: ['ecap', 'IR'],
  eim: ['ecap', 'EIM'],
  pt: ['ecap', 'PT'],
  sc: ['ecap', 'SC'],
  mts: ['ecap', 'MTS'],
  nest: ['ecap', 'NEST'],
  dis: ['ecap', 'DIS'],
  prs: ['ecap', 'PRS'],
  ers: ['ecap', 'ERS'],
  srs: ['ecap', 'SRS'],
  nwfs: ['ecap', 'NWFS'],
  eafs: ['ecap', 'EAFS'],
  pasid: ['ecap', 'PASID'],
  dit: ['ecap', 'DIT'],
  pds: ['ecap', 'PDS'],
  smts: ['ecap', 'SMTS'],
  vcs: ['ecap', 'VCS'],
  slads: ['ecap', 'SLADS'],
  slts: ['ecap', 'SLTS'],
  flts: ['ecap', 'FLTS'],
  smpwc: ['ecap', 'SMPWC'],
  rps: ['ecap', 'RPS'],
  pms: ['ecap', 'PMS'],
  adms: ['ecap', 'ADMS'],
  rprivs: ['ecap', 'RPRIVS'],
} as const satisfies Record<string, readonly ['cap' | 'ecap', string]>;

type CapField = (typeof VTD_CAP_LAYOUT.spec.fields)[number]['name'];
type EcapField = (typeof VTD_ECAP_LAYOUT.spec.fields)[number]['name'];

/** The second-level adjusted guest address width (bits) of a context/PASID-entry AW value: 30 + 9·AW. */
export function agawOfAw(aw: number): number {
  return 30 + 9 * aw;
}

/** True when CAP.SAGAW has the bit for this AW value (2 + AW second-level paging levels). */
export function sagawSupportsAw(caps: Pick<VtdCapabilities, 'sagaw'>, aw: number): boolean {
  return caps.sagaw.includes(agawOfAw(aw));
}

/** Decodes CAP_REG and ECAP_REG values into {@link VtdCapabilities}. */
export function decodeVtdCapabilities(cap: bigint, ecap: bigint): VtdCapabilities {
  const c = wordsFromU64s([cap], 64);
  const e = wordsFromU64s([ecap], 64);
  const capField = (name: CapField) => VTD_CAP_LAYOUT.get(c, name);
  const ecapField = (name: EcapField) => VTD_ECAP_LAYOUT.get(e, name);
  const sagawBits = capField('SAGAW');
  const sllps = capField('SLLPS');
  const flags = {} as Record<keyof typeof FLAGS, boolean>;
  for (const [key, [reg, field]] of Object.entries(FLAGS) as [keyof typeof FLAGS, readonly ['cap' | 'ecap', string]][]) {
    flags[key] = (reg === 'cap' ? capField(field as CapField) : ecapField(field as EcapField)) === 1;
  }
  return {
    ...flags,
    nd: capField('ND'),
    sagaw: [0, 1, 2, 3, 4].filter((n) => (sagawBits >> n) & 1).map(agawOfAw),
    mgawBits: capField('MGAW') + 1,
    faultRecordOffset: capField('FRO'),
    sl2MPages: (sllps & 1) === 1,
    sl1GPages: (sllps & 2) === 2,
    faultRecordCount: capField('NFR') + 1,
    mamv: capField('MAMV'),
    iotlbRegisterOffset: ecapField('IRO'),
    mhmv: ecapField('MHMV'),
    pasidBits: ecapField('PSS') + 1,
  };
}

/** A CAP_REG / ECAP_REG value pair. */
export interface VtdCapabilityRegisters {
  /** CAP_REG (offset 0x08). */
  readonly cap: bigint;
  /** ECAP_REG (offset 0x10). */
  readonly ecap: bigint;
}

/**
 * Encodes {@link VtdCapabilities} back into CAP_REG and ECAP_REG values.
 * @throws IommuError `ARGUMENT` for a SAGAW width that is not 30 + 9·n (n 0..4), `FIELD_RANGE` for values that
 * do not fit their fields (e.g. `faultRecordOffset` not a multiple of 16, `pasidBits` outside 1..32).
 */
export function encodeVtdCapabilities(caps: VtdCapabilities): VtdCapabilityRegisters {
  let sagaw = 0;
  for (const width of caps.sagaw) {
    const n = (width - 30) / 9;
    if (!Number.isInteger(n) || n < 0 || n > 4) {
      throw new IommuError('ARGUMENT', `SAGAW width ${width} is not one of 30, 39, 48, 57, 66`, { width });
    }
    sagaw |= 1 << n;
  }
  const capValues: Partial<Record<CapField, number>> = {
    ND: caps.nd,
    SAGAW: sagaw,
    MGAW: caps.mgawBits - 1,
    FRO: caps.faultRecordOffset,
    SLLPS: (caps.sl2MPages ? 1 : 0) | (caps.sl1GPages ? 2 : 0),
    NFR: caps.faultRecordCount - 1,
    MAMV: caps.mamv,
  };
  const ecapValues: Partial<Record<EcapField, number>> = {
    IRO: caps.iotlbRegisterOffset,
    MHMV: caps.mhmv,
    PSS: caps.pasidBits - 1,
  };
  for (const [key, [reg, field]] of Object.entries(FLAGS) as [keyof typeof FLAGS, readonly ['cap' | 'ecap', string]][]) {
    const bit = caps[key] ? 1 : 0;
    if (reg === 'cap') capValues[field as CapField] = bit;
    else ecapValues[field as EcapField] = bit;
  }
  return {
    cap: u64sFromWords(VTD_CAP_LAYOUT.encode(capValues))[0]!,
    ecap: u64sFromWords(VTD_ECAP_LAYOUT.encode(ecapValues))[0]!,
  };
}

/**
 * The model's default CAP_REG: a fully-featured scalable-mode IOMMU.
 * - ND=6 (16-bit domain-ids); no AFL/RWBF/PLMR/PHMR; CM=0 (a physical IOMMU, not a caching-mode vIOMMU);
 * - SAGAW = 39-, 48- and 57-bit (3-, 4- and 5-level second-level tables), bits 11:9;
 * - MGAW = 48 bits (field 47): with HAW = MGAW + 1 every host-physical address is an exact JS number, and
 *   57-bit AGAW tables still work with inputs limited to 2^48 (SGN.5 / LGN.1 beyond);
 * - FRO = 0x22 (fault-recording registers at 0x220, as QEMU places them), NFR = 7 (8 registers);
 * - SLLPS 2 MB + 1 GB, PSI, MAMV = 18, DWD, DRD, FL1GP, FL5LP; no PI.
 * Value: 0x11D2_078C_222F_0E06.
 */
export const DEFAULT_VTD_CAP = 0x11d2_078c_222f_0e06n;

/**
 * The model's default ECAP_REG: C, QI, DT, PT, SC; IRO = 0xF (IOTLB registers at 0xF0); NEST; PRS, ERS, SRS;
 * EAFS; PSS = 19 (20-bit PASIDs); PASID, PDS, SMTS, SLADS, SLTS, FLTS, SMPWC, RPS, RPRIVS. No interrupt
 * remapping (IR/EIM), memory types (MTS), DIS, NWFS, DIT, VCS, PMS or ADMS.
 * Value: 0x0023_ED9C_E400_0FC7.
 */
export const DEFAULT_VTD_ECAP = 0x0023_ed9c_e400_0fc7n;

/** {@link DEFAULT_VTD_CAP} and {@link DEFAULT_VTD_ECAP} decoded. */
export const DEFAULT_VTD_CAPABILITIES: VtdCapabilities = decodeVtdCapabilities(DEFAULT_VTD_CAP, DEFAULT_VTD_ECAP);
