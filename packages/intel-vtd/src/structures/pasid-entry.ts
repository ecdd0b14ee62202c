/**
 * The scalable-mode PASID-table entry (VT-d spec §9.6): 512 bits selecting, per PASID, the translation type
 * (PGTT: first-level, second-level, nested or pass-through), the first- and second-level table roots and
 * their formats, the domain, the request-type permissions (SRE, ERE) and memory-type controls.
 * @packageDocumentation
 */
import { defineStructure, getField } from '@viommu/core';
import { MAX_HOST_ADDRESS_WIDTH, assertHostAddressWidth, hostAddressWidth, pointerBelowWidth, qwordExceedsWidth } from './address-width';
import { type VtdCapabilities, agawOfAw, sagawSupportsAw } from './capabilities';
import { type VtdCheck, vtdFault, vtdOk } from './check-result';
import { VtdFaultReason } from './fault-reasons';

/** Scalable-mode PASID-table entry field table, §9.6. */
export const PASID_ENTRY_LAYOUT = defineStructure({
  name: 'ScalableModePasidTableEntry',
  bits: 512,
  fields: [
    { name: 'P', hi: 0, lo: 0, doc: 'Present' },
    { name: 'FPD', hi: 1, lo: 1, doc: 'Fault processing disable for this PASID (evaluated even when P=0)' },
    {
      name: 'AW',
      hi: 4,
      lo: 2,
      values: { 1: '39-bit 3-level', 2: '48-bit 4-level', 3: '57-bit 5-level' },
      doc: 'Second-level address width: 2 + AW levels, AGAW 30 + 9·AW; must be in CAP.SAGAW (PGTT 010b/011b)',
    },
    { name: 'SLEE', hi: 5, lo: 5, doc: 'Second-level execute enable: the X bit of second-level entries is honoured' },
    {
      name: 'PGTT',
      hi: 8,
      lo: 6,
      values: { 1: 'first-level', 2: 'second-level', 3: 'nested', 4: 'pass-through' },
      doc: 'PASID-granular translation type: 001b first-level only, 010b second-level only, 011b nested, 100b pass-through; others reserved',
    },
    { name: 'SLADE', hi: 9, lo: 9, doc: 'Second-level accessed/dirty enable (ECAP.SLADS)' },
    { name: 'SLPTPTR', hi: 63, lo: 12, shift: 12, big: true, doc: 'Second-level page-table pointer (host physical, 4 KB aligned); bits at and above HAW are reserved' },
    { name: 'DID', hi: 79, lo: 64, doc: 'Domain identifier' },
    { name: 'PWSNP', hi: 87, lo: 87, doc: 'Page-walk snoop: table walks snoop processor caches' },
    { name: 'PGSNP', hi: 88, lo: 88, doc: 'Page snoop: accesses to translated pages snoop processor caches' },
    { name: 'CD', hi: 89, lo: 89, doc: 'Cache disable (memory type)' },
    { name: 'EMTE', hi: 90, lo: 90, doc: 'Extended memory type enable' },
    { name: 'EMT', hi: 93, lo: 91, doc: 'Extended memory type' },
    { name: 'PWT', hi: 94, lo: 94, doc: 'Page-level write-through for the first-level root' },
    { name: 'PCD', hi: 95, lo: 95, doc: 'Page-level cache disable for the first-level root' },
    { name: 'PAT', hi: 127, lo: 96, doc: 'Page attribute table (eight 4-bit memory types)' },
    { name: 'SRE', hi: 128, lo: 128, doc: 'Supervisor request enable (ECAP.SRS); a supervisor request with SRE=0 faults 0x5D' },
    { name: 'ERE', hi: 129, lo: 129, doc: 'Execute request enable (ECAP.ERS); an execute request with ERE=0 faults 0x5C' },
    { name: 'FLPM', hi: 131, lo: 130, values: { 0: '4-level', 1: '5-level' }, doc: 'First-level paging mode: 00b 4-level (48-bit), 01b 5-level (57-bit, CAP.FL5LP); others reserved' },
    { name: 'WPE', hi: 132, lo: 132, doc: 'Write protect enable: supervisor writes honour R/W' },
    { name: 'NXE', hi: 133, lo: 133, doc: 'No-execute enable: XD is honoured (and reserved when 0)' },
    { name: 'SMEP', hi: 134, lo: 134, doc: 'Supervisor-mode execute prevention' },
    { name: 'EAFE', hi: 135, lo: 135, doc: 'Extended accessed flag enable (ECAP.EAFS)' },
    {
      name: 'FLPTPTR',
      hi: 191,
      lo: 140,
      shift: 12,
      big: true,
      doc: 'First-level page-table pointer (4 KB aligned): host physical for PGTT 001b, guest physical for nested (011b)',
    },
  ],
  reserved: [
    [11, 10],
    [86, 80],
    [139, 136],
    [511, 192],
  ],
});

/** PGTT values. */
export const PasidGranularTranslationType = {
  /** First-level translation only. */
  FIRST_LEVEL: 1,
  /** Second-level translation only. */
  SECOND_LEVEL: 2,
  /** Nested: first level over second level. */
  NESTED: 3,
  /** Pass-through. */
  PASS_THROUGH: 4,
} as const;

/** A PGTT value this model accepts. */
export type PgttValue = 1 | 2 | 3 | 4;

/** Second-level configuration (PGTT 010b and 011b). */
export interface PasidSecondLevelConfig {
  /** Second-level table root (host physical). */
  readonly tableAddress: number;
  /** AW field. */
  readonly aw: number;
  /** Paging levels, 2 + AW. */
  readonly levels: number;
  /** Adjusted guest address width, 30 + 9·AW bits. */
  readonly agaw: number;
  /** SLEE: second-level X bits are honoured. */
  readonly executeEnable: boolean;
  /** SLADE: second-level A/D flags are updated. */
  readonly accessedDirtyEnable: boolean;
}

/** First-level configuration (PGTT 001b and 011b). */
export interface PasidFirstLevelConfig {
  /** First-level table root: host physical (PGTT 001b) or guest physical (nested). */
  readonly tableAddress: number;
  /** FLPM field. */
  readonly flpm: number;
  /** Paging levels: 4, or 5 with FLPM=01b. */
  readonly levels: 4 | 5;
  /** Input address width: 48 bits (4-level) or 57 bits (5-level). */
  readonly inputWidth: 48 | 57;
  /** WPE. */
  readonly wpe: boolean;
  /** NXE. */
  readonly nxe: boolean;
  /** SMEP. */
  readonly smep: boolean;
  /** EAFE. */
  readonly eafe: boolean;
}

/** Memory-type controls of a PASID entry (not interpreted by the translation model). */
export interface PasidMemoryTypeConfig {
  /** CD. */
  readonly cd: boolean;
  /** EMTE. */
  readonly emte: boolean;
  /** EMT. */
  readonly emt: number;
  /** PWT. */
  readonly pwt: boolean;
  /** PCD. */
  readonly pcd: boolean;
  /** PAT. */
  readonly pat: number;
}

/** A present, valid PASID-table entry. */
export interface PasidEntryConfig {
  /** FPD. */
  readonly fpd: boolean;
  /** PGTT, one of {@link PasidGranularTranslationType}'s values. */
  readonly pgtt: PgttValue;
  /** Domain identifier. */
  readonly domainId: number;
  /** Present for PGTT 010b (second-level) and 011b (nested). */
  readonly secondLevel: PasidSecondLevelConfig | undefined;
  /** Present for PGTT 001b (first-level) and 011b (nested). */
  readonly firstLevel: PasidFirstLevelConfig | undefined;
  /** SRE: supervisor requests allowed. */
  readonly sre: boolean;
  /** ERE: execute requests allowed. */
  readonly ere: boolean;
  /** PWSNP. */
  readonly pageWalkSnoop: boolean;
  /** PGSNP. */
  readonly pageSnoop: boolean;
  /** Memory-type fields. */
  readonly memoryType: PasidMemoryTypeConfig;
}

/** Which ECAP bit each PGTT needs. */
const PGTT_CAPABILITY: Readonly<Record<PgttValue, keyof VtdCapabilities>> = { 1: 'flts', 2: 'slts', 3: 'nest', 4: 'pt' };

/** Flag bits that are Reserved(0) unless a capability is reported: [bit, capability, field name]. */
const CAPABILITY_GATED_FLAGS: readonly (readonly [number, keyof VtdCapabilities, string])[] = [
  [128, 'srs', 'SRE'],
  [129, 'ers', 'ERE'],
  [135, 'eafs', 'EAFE'],
  [9, 'slads', 'SLADE'],
];

const bit = (words: ArrayLike<number>, n: number) => getField(words, n, 1) === 1;

/**
 * Checks a scalable-mode PASID-table entry against the hardware's capabilities and decodes it. In order:
 * 1. P=0 → 0x59 (with the entry's FPD).
 * 2. A reserved bit (11:10, 86:80, 139:136, 511:192) → 0x5A.
 * 3. PGTT reserved (000b, 101b–111b) or not reported by ECAP (001b needs FLTS, 010b SLTS, 011b NEST, 100b PT)
 *    → 0x5B. QEMU's `vtd_pe_type_check` returns 0x5B for both.
 * 4. A flag whose capability is absent — SRE without SRS, ERE without ERS, EAFE without EAFS, SLADE without
 *    SLADS — → 0x5A: the spec's field descriptions make these bits Reserved(0) when the capability is Clear.
 * 5. A host-physical table pointer with bits ≥ HAW → 0x5A: SLPTPTR when PGTT uses the second level
 *    (010b/011b), FLPTPTR when it is host physical (001b). Pointers the PGTT does not use are not checked.
 * 6. With a second level, an AW value CAP.SAGAW does not report → 0x5B (QEMU: `vtd_is_sl_level_supported`
 *    failing returns 0x5B, SPT.4).
 * 7. With a first level, FLPM 10b/11b, or 01b without CAP.FL5LP → 0x5B (QEMU: `vtd_is_fl_level_supported`).
 * 8. Nested: FLPTPTR is a guest-physical address; one at or above 2^min(MGAW, 52) → 0x74 (SFL.5), the code
 *    the first-level walk would report for it. Reporting it here keeps every address the model hands on exact.
 * @param haw host address width (defaults to {@link hostAddressWidth} of `caps`).
 * @throws IommuError `ARGUMENT` for a host address width outside 13..52.
 */
export function checkPasidEntry(
  words: ArrayLike<number>,
  caps: VtdCapabilities,
  haw: number = hostAddressWidth(caps),
): VtdCheck<PasidEntryConfig> {
  assertHostAddressWidth(haw);
  const fpd = bit(words, 1);
  if (!bit(words, 0)) return vtdFault(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT, fpd, 'PASID entry P=0');
  if (PASID_ENTRY_LAYOUT.hasReservedBits(words)) {
    return vtdFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED, fpd, 'PASID entry reserved bits 11:10, 86:80, 139:136 or 511:192 set');
  }
  const pgtt = getField(words, 6, 3);
  if (pgtt < 1 || pgtt > 4) return vtdFault(VtdFaultReason.SM_PASID_ENTRY_INVALID, fpd, `PASID entry PGTT=${pgtt} is reserved`);
  const needed = PGTT_CAPABILITY[pgtt as PgttValue];
  if (!caps[needed]) {
    return vtdFault(VtdFaultReason.SM_PASID_ENTRY_INVALID, fpd, `PASID entry PGTT=${pgtt} needs ECAP.${needed.toUpperCase()}`);
  }
  for (const [n, cap, name] of CAPABILITY_GATED_FLAGS) {
    if (bit(words, n) && !caps[cap]) {
      return vtdFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED, fpd, `PASID entry ${name}=1 without ECAP.${cap.toUpperCase()}`);
    }
  }
  const usesSecond = pgtt === PasidGranularTranslationType.SECOND_LEVEL || pgtt === PasidGranularTranslationType.NESTED;
  const usesFirst = pgtt === PasidGranularTranslationType.FIRST_LEVEL || pgtt === PasidGranularTranslationType.NESTED;
  if (usesSecond && qwordExceedsWidth(words, 0, haw)) {
    return vtdFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED, fpd, `PASID entry SLPTPTR has bits at or above HAW ${haw}`);
  }
  if (pgtt === PasidGranularTranslationType.FIRST_LEVEL && qwordExceedsWidth(words, 2, haw)) {
    return vtdFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED, fpd, `PASID entry FLPTPTR has bits at or above HAW ${haw}`);
  }
  let secondLevel: PasidSecondLevelConfig | undefined;
  if (usesSecond) {
    const aw = getField(words, 2, 3);
    if (!sagawSupportsAw(caps, aw)) {
      return vtdFault(VtdFaultReason.SM_PASID_ENTRY_INVALID, fpd, `PASID entry AW=${aw} (${agawOfAw(aw)}-bit) not in CAP.SAGAW`);
    }
    secondLevel = {
      tableAddress: pointerBelowWidth(words, 0, haw),
      aw,
      levels: 2 + aw,
      agaw: agawOfAw(aw),
      executeEnable: bit(words, 5),
      accessedDirtyEnable: bit(words, 9),
    };
  }
  let firstLevel: PasidFirstLevelConfig | undefined;
  if (usesFirst) {
    const flpm = getField(words, 130, 2);
    if (flpm > 1) return vtdFault(VtdFaultReason.SM_PASID_ENTRY_INVALID, fpd, `PASID entry FLPM=${flpm} is reserved`);
    if (flpm === 1 && !caps.fl5lp) {
      return vtdFault(VtdFaultReason.SM_PASID_ENTRY_INVALID, fpd, 'PASID entry FLPM=01b (5-level) without CAP.FL5LP');
    }
    let width = haw;
    if (pgtt === PasidGranularTranslationType.NESTED) {
      width = Math.min(caps.mgawBits, MAX_HOST_ADDRESS_WIDTH);
      if (qwordExceedsWidth(words, 2, width)) {
        return vtdFault(VtdFaultReason.SM_FL_ADDRESS_BEYOND_MGAW, fpd, `nested FLPTPTR at or above 2^${width}`);
      }
    }
    firstLevel = {
      tableAddress: pointerBelowWidth(words, 2, width),
      flpm,
      levels: flpm === 1 ? 5 : 4,
      inputWidth: flpm === 1 ? 57 : 48,
      wpe: bit(words, 132),
      nxe: bit(words, 133),
      smep: bit(words, 134),
      eafe: bit(words, 135),
    };
  }
  return vtdOk({
    fpd,
    pgtt: pgtt as PgttValue,
    domainId: getField(words, 64, 16),
    secondLevel,
    firstLevel,
    sre: bit(words, 128),
    ere: bit(words, 129),
    pageWalkSnoop: bit(words, 87),
    pageSnoop: bit(words, 88),
    memoryType: {
      cd: bit(words, 89),
      emte: bit(words, 90),
      emt: getField(words, 91, 3),
      pwt: bit(words, 94),
      pcd: bit(words, 95),
      pat: getField(words, 96, 32),
    },
  });
}
