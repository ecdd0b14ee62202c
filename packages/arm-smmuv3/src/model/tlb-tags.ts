/**
 * How the model tags its IOTLB entries. The core {@link Iotlb} keys entries by a domain tag and a
 * sub-tag; SMMUv3 tags translations by StreamWorld, VMID and ASID (§3.17, §16.2):
 *
 * - NS-EL1 stage-1 translations (stage-1-only and nested, STE.Config 0b101 / 0b111): domain = STE.S2VMID
 *   when stage 2 is implemented (IDR0.S2P == 1; §5.2 STE.S2VMID: "VMID-tagged … when either of stage 1 or
 *   stage 2 provide translation"), else the reserved {@link TlbDomain.NO_VMID}; sub-tag = CD.ASID, or
 *   core GLOBAL_SUBTAG for nG == 0 leaves.
 * - Stage-2-only translations (Config 0b110, or S1DSS == Bypass under Config 0b111): domain =
 *   {@link TlbDomain.STAGE2_ONLY} + VMID, sub-tag GLOBAL_SUBTAG, input = IPA. They live apart from the
 *   VMID's stage-1 entries so a global stage-1 entry can never answer an IPA lookup (§4.4.3.1 note: a
 *   combined TLB "must distinguish whether an entry represents a VA or an IPA").
 * - NS-EL2 StreamWorld (STE.STRW == 0b10 with IDR0.Hyp == 1): domain {@link TlbDomain.EL2}, sub-tag
 *   ASID under SMMU_CR2.E2H == 1, else GLOBAL_SUBTAG (EL2 without E2H has no ASIDs).
 *
 * Stage-1 input addresses are filed under a 53-bit key: VA[51:0] plus 2^52 when VA[55] selects TTB1,
 * so the TTB0 and TTB1 halves never collide and TBI's top byte never matters ({@link vaKey}).
 * @packageDocumentation
 */

/** Reserved domain tags (VMIDs are 0..0xFFFF, so these never collide with one). */
export const TlbDomain = {
  /** Stage-1 translations of an SMMU without stage 2 (no VMID tagging). */
  NO_VMID: 0x1_0000,
  /** Base of the stage-2-only domains: STAGE2_ONLY + VMID. */
  STAGE2_ONLY: 0x2_0000,
  /** NS-EL2 / NS-EL2-E2H StreamWorld translations. */
  EL2: 0x4_0000,
} as const;


const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_52 = 2 ** 52;

/**
 * The IOTLB key of a stage-1 input address given as halves: VA[51:0] + (VA[55] ? 2^52 : 0). Bits
 * [63:56] (TBI) and [54:52] (sign extension, already checked against TxSZ) do not take part.
 */
export function vaKey(hi: number, lo: number): number {
  const upper = (hi >>> 23) & 1 ? TWO_POW_52 : 0;
  return upper + (hi & 0xf_ffff) * TWO_POW_32 + (lo >>> 0);
}

/** The IOTLB key of a TLBI command's VA, Address[63:12] given as halves (the same mapping as {@link vaKey}). */
export function commandVaKey(hi: number, lo: number): number {
  return vaKey(hi, (lo & 0xffff_f000) >>> 0);
}
