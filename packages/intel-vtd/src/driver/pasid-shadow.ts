/**
 * Shadowing one guest PASID-table entry into a host one (VT-d spec §3.8, §9.6). VT-d's scalable-mode PASID
 * table is host-owned and host-physical, so a guest's table (in the vIOMMU's format, at guest-physical
 * addresses) is read by the host and each entry is re-written as a host entry:
 *
 * | guest entry (checked against the vIOMMU's capabilities) | host entry |
 * |---|---|
 * | P = 0, or failing a check (reserved bits, bad PGTT/FLPM, unsupported flag, FLPTPTR beyond the GPA width) | not present, FPD kept |
 * | PGTT 001b (first-level) | PGTT 011b nested: FLPTPTR (a GPA), FLPM, SRE, WPE (only with SRE), EAFE, NXE, SMEP, ERE, FPD from the guest; SLPTPTR, AW, DID from the nesting domain; PWSNP = ECAP.SMPWC and PGSNP as the domain asks (Linux's `intel_pasid_setup_nested`) |
 * | PGTT 100b (pass-through) | PGTT 010b second-level only: the guest's "physical" is the GPA; SRE, ERE, FPD from the guest |
 *
 * The host never programs a guest's malformed entry into hardware: a guest entry that would fault with
 * 0x5A / 0x5B on its own vIOMMU becomes a not-present host entry, so the request faults 0x59 — the same
 * generic reason (`bad-pasid-entry`) with a different VT-d code. Memory-type fields (PWT, PCD, PAT, CD,
 * EMTE, EMT) are not carried: Linux's nested setup does not carry them either.
 * @packageDocumentation
 */
import { checkPasidEntry, PasidGranularTranslationType, PASID_ENTRY_LAYOUT, type PasidEntryConfig, type VtdCapabilities } from '../structures/index';
import { nestedPasidEntry, notPresentPasidEntry, secondLevelPasidEntry, type FirstLevelPasidFields, type SecondLevelPasidFields } from './pasid-entries';

/** What the host contributes to every shadow entry and how guest entries are judged. */
export interface ShadowContext {
  /** The nesting domain's second level (DID, SLPTPTR, AW, PWSNP, PGSNP). */
  readonly secondLevel: SecondLevelPasidFields;
  /** The vIOMMU's capabilities ({@link vtdGuestCapabilities}). */
  readonly guestCaps: VtdCapabilities;
  /** Guest-physical address width: the width a guest PGTT 001b FLPTPTR must fit. */
  readonly guestAddressBits: number;
}

/** The first-level half a checked guest first-level entry (PGTT 001b) asks for; undefined for other PGTTs. */
export function guestFirstLevel(entry: PasidEntryConfig): FirstLevelPasidFields | undefined {
  const fl = entry.firstLevel;
  if (entry.pgtt !== PasidGranularTranslationType.FIRST_LEVEL || !fl) return undefined;
  return {
    flptptr: fl.tableAddress,
    flpm: fl.flpm as 0 | 1,
    sre: entry.sre,
    wpe: entry.sre && fl.wpe,
    eafe: fl.eafe,
    nxe: fl.nxe,
    smep: fl.smep,
    ere: entry.ere,
    fpd: entry.fpd,
  };
}

/**
 * The host entry shadowing a guest entry (16 words), or a not-present entry when the guest entry could not
 * be read (`undefined`), is not present, or fails a check.
 */
export function shadowPasidEntry(guest: ArrayLike<number> | undefined, ctx: ShadowContext): Uint32Array {
  if (guest === undefined) return notPresentPasidEntry(false);
  const c = checkPasidEntry(guest, ctx.guestCaps, ctx.guestAddressBits);
  if (!c.ok) return notPresentPasidEntry(c.fpd);
  if (c.value.pgtt === PasidGranularTranslationType.PASS_THROUGH) {
    return secondLevelPasidEntry({ ...ctx.secondLevel, fpd: c.value.fpd, sre: c.value.sre, ere: c.value.ere });
  }
  const fl = guestFirstLevel(c.value);
  return fl ? nestedPasidEntry({ ...ctx.secondLevel, fpd: false }, fl) : notPresentPasidEntry(c.value.fpd);
}

/**
 * The first feature a present guest entry asks for that the host lacks, or undefined: SRE without
 * ECAP.SRS, ERE without ECAP.ERS, EAFE without ECAP.EAFS, 5-level first-level paging (FLPM = 01b) without
 * CAP.FL5LP, first-level translation (PGTT 001b) without ECAP.NEST. Used to reject a bind up front
 * (`CONFIG_UNSUPPORTED`); later guest edits asking for these shadow as not present.
 */
export function unsupportedGuestFeature(guest: ArrayLike<number>, host: VtdCapabilities): string | undefined {
  const f = (name: Parameters<typeof PASID_ENTRY_LAYOUT.get>[1]) => PASID_ENTRY_LAYOUT.get(guest, name);
  if (f('P') !== 1) return undefined;
  if (f('SRE') && !host.srs) return 'SRE (supervisor requests) needs ECAP.SRS';
  if (f('ERE') && !host.ers) return 'ERE (execute requests) needs ECAP.ERS';
  if (f('EAFE') && !host.eafs) return 'EAFE (extended accessed flag) needs ECAP.EAFS';
  if (f('PGTT') === PasidGranularTranslationType.FIRST_LEVEL) {
    if (!host.nest) return 'first-level translation of a guest needs ECAP.NEST';
    if (f('FLPM') === 1 && !host.fl5lp) return '5-level first-level paging needs CAP.FL5LP';
  }
  return undefined;
}
