/**
 * Builders for the scalable-mode PASID-table entry (VT-d spec §9.6) a driver writes: second-level only
 * (PGTT = 010b), first-level only (001b), nested (011b) and pass-through (100b). Each returns the entry's
 * sixteen 32-bit words, encoded with the structures' {@link PASID_ENTRY_LAYOUT}; fields a PGTT does not use
 * stay zero, as Linux's `intel_pasid_setup_*` leave them.
 * @packageDocumentation
 */
import { getField } from '@viommu/core';
import { PASID_ENTRY_LAYOUT, PasidGranularTranslationType } from '../structures/index';

/** The second-level half of an entry (PGTT 010b and 011b): the host's GPA/IOVA → HPA tables. */
export interface SecondLevelPasidFields {
  /** Domain-id tagging the entry's translations (DID, bits 79:64). */
  did: number;
  /** Second-level root table, host physical (SLPTPTR, bits 63:12). */
  slptptr: number;
  /** AW (bits 4:2): the table has 2 + AW levels. */
  aw: number;
  /** PWSNP (bit 87): page walks snoop (Linux sets it when ECAP.SMPWC). */
  pwsnp?: boolean;
  /** PGSNP (bit 88): accesses to translated pages snoop (Linux: the domain forces snooping). */
  pgsnp?: boolean;
  /** SLADE (bit 9): second-level A/D updates (needs ECAP.SLADS). */
  slade?: boolean;
  /** SLEE (bit 5): second-level execute permission is honoured. */
  slee?: boolean;
  /** FPD (bit 1): qualified faults are not recorded. */
  fpd?: boolean;
  /**
   * SRE (bit 128) of a second-level-only entry: supervisor requests are allowed (needs ECAP.SRS). A nested
   * entry takes SRE from its first-level half instead.
   */
  sre?: boolean;
  /** ERE (bit 129) of a second-level-only entry: execute requests are allowed (needs ECAP.ERS). */
  ere?: boolean;
}

/** The first-level half of an entry (PGTT 001b and 011b). */
export interface FirstLevelPasidFields {
  /** First-level root (FLPTPTR, bits 191:140): host physical for PGTT 001b, a GPA for nested. */
  flptptr: number | bigint;
  /** FLPM (bits 131:130): 0 four-level (48-bit), 1 five-level (57-bit, needs CAP.FL5LP). */
  flpm: 0 | 1;
  /** SRE (bit 128): supervisor requests allowed (needs ECAP.SRS). */
  sre?: boolean;
  /** WPE (bit 132): supervisor writes honour R/W. Written only together with SRE, as Linux does. */
  wpe?: boolean;
  /** EAFE (bit 135): extended-accessed flag updates (needs ECAP.EAFS). */
  eafe?: boolean;
  /** NXE (bit 133): XD is honoured. */
  nxe?: boolean;
  /** SMEP (bit 134): supervisor-mode execute prevention. */
  smep?: boolean;
  /** ERE (bit 129): execute requests allowed (needs ECAP.ERS). */
  ere?: boolean;
  /** FPD (bit 1). */
  fpd?: boolean;
}

const b = (v: boolean | undefined) => (v ? 1 : 0);

function secondLevelValues(sl: SecondLevelPasidFields): Record<string, number> {
  return {
    AW: sl.aw,
    SLPTPTR: sl.slptptr,
    DID: sl.did,
    PWSNP: b(sl.pwsnp),
    PGSNP: b(sl.pgsnp),
    SLADE: b(sl.slade),
    SLEE: b(sl.slee),
  };
}

function firstLevelValues(fl: FirstLevelPasidFields): Record<string, number | bigint> {
  return {
    FLPTPTR: fl.flptptr,
    FLPM: fl.flpm,
    SRE: b(fl.sre),
    WPE: b(fl.sre && fl.wpe),
    EAFE: b(fl.eafe),
    NXE: b(fl.nxe),
    SMEP: b(fl.smep),
    ERE: b(fl.ere),
  };
}

/**
 * A present second-level-only entry (PGTT = 010b): requests are translated by the host's second-level
 * table alone (what Linux programs for a paging domain's RID_PASID, and what unbind restores).
 * @throws IommuError `FIELD_RANGE` when a value does not fit its field.
 */
export function secondLevelPasidEntry(sl: SecondLevelPasidFields): Uint32Array {
  return PASID_ENTRY_LAYOUT.encode({
    P: 1,
    FPD: b(sl.fpd),
    PGTT: PasidGranularTranslationType.SECOND_LEVEL,
    SRE: b(sl.sre),
    ERE: b(sl.ere),
    ...secondLevelValues(sl),
  });
}

/**
 * A present first-level-only entry (PGTT = 001b) tagged with `did`; `pwsnp`/`pgsnp` as for second level.
 * @throws IommuError `FIELD_RANGE` when a value does not fit its field.
 */
export function firstLevelPasidEntry(did: number, fl: FirstLevelPasidFields, snoop: { pwsnp?: boolean; pgsnp?: boolean } = {}): Uint32Array {
  return PASID_ENTRY_LAYOUT.encode({
    P: 1,
    FPD: b(fl.fpd),
    PGTT: PasidGranularTranslationType.FIRST_LEVEL,
    DID: did,
    PWSNP: b(snoop.pwsnp),
    PGSNP: b(snoop.pgsnp),
    ...firstLevelValues(fl),
  });
}

/**
 * A present nested entry (PGTT = 011b, VT-d spec §3.8): the first level (`fl`, FLPTPTR a GPA) over the
 * host's second level (`sl`). FPD is set when either half asks for it.
 * @throws IommuError `FIELD_RANGE` when a value does not fit its field.
 */
export function nestedPasidEntry(sl: SecondLevelPasidFields, fl: FirstLevelPasidFields): Uint32Array {
  return PASID_ENTRY_LAYOUT.encode({
    P: 1,
    FPD: b(sl.fpd || fl.fpd),
    PGTT: PasidGranularTranslationType.NESTED,
    ...secondLevelValues(sl),
    ...firstLevelValues(fl),
  });
}

/**
 * A present pass-through entry (PGTT = 100b, needs ECAP.PT) tagged with `did`.
 * @throws IommuError `FIELD_RANGE` when `did` does not fit.
 */
export function passThroughPasidEntry(did: number, fpd = false): Uint32Array {
  return PASID_ENTRY_LAYOUT.encode({ P: 1, FPD: b(fpd), PGTT: PasidGranularTranslationType.PASS_THROUGH, DID: did });
}

/** A not-present entry that keeps only FPD (bit 1), which hardware evaluates even when P = 0 (§9.6). */
export function notPresentPasidEntry(fpd = false): Uint32Array {
  return PASID_ENTRY_LAYOUT.encode({ FPD: b(fpd) });
}

/** What a driver needs to know about an entry it is replacing: whether it was present, its DID and PGTT. */
export interface PasidEntrySummary {
  /** P (bit 0). */
  readonly present: boolean;
  /** DID (bits 79:64). */
  readonly did: number;
  /** PGTT (bits 8:6). */
  readonly pgtt: number;
}

/** Reads P, DID and PGTT of an entry's words (no validity checks: the driver wrote them). */
export function summarizePasidEntry(words: ArrayLike<number>): PasidEntrySummary {
  return { present: getField(words, 0, 1) === 1, did: getField(words, 64, 16), pgtt: getField(words, 6, 3) };
}
