/**
 * Command queue opcodes [SPEC 4.1.1]. All other values are Reserved (0x80–0x8F IMPLEMENTATION DEFINED) and
 * raise CERROR_ILL.
 * @packageDocumentation
 */

/** Command opcodes by architectural name. */
export const COMMAND_OPCODES = {
  /** Prefetch configuration for a StreamID (and SubstreamID). */
  CMD_PREFETCH_CONFIG: 0x01,
  /** Prefetch configuration and translations for an address span. */
  CMD_PREFETCH_ADDR: 0x02,
  /** Invalidate one STE (and CDs cached through it). */
  CMD_CFGI_STE: 0x03,
  /** Invalidate an aligned range of 2^(Range+1) STEs; Range == 31 is CMD_CFGI_ALL. */
  CMD_CFGI_STE_RANGE: 0x04,
  /** Invalidate one CD (Leaf == 0: also the L1CD). */
  CMD_CFGI_CD: 0x05,
  /** Invalidate all CDs of a StreamID. */
  CMD_CFGI_CD_ALL: 0x06,
  /** Invalidate cached VMS PARTID maps (needs MPAM/VMS). */
  CMD_CFGI_VMS_PIDM: 0x07,
  /** Invalidate all NS-EL1 stage 1 entries of a VMID. */
  CMD_TLBI_NH_ALL: 0x10,
  /** Invalidate non-global NS-EL1 entries by ASID and VMID. */
  CMD_TLBI_NH_ASID: 0x11,
  /** Invalidate NS-EL1 entries by VA, ASID and VMID (and global entries by VA). */
  CMD_TLBI_NH_VA: 0x12,
  /** Invalidate NS-EL1 entries by VA for all ASIDs of a VMID. */
  CMD_TLBI_NH_VAA: 0x13,
  /** Invalidate all EL3 entries (Secure queue only). */
  CMD_TLBI_EL3_ALL: 0x18,
  /** Invalidate EL3 entries by VA (Secure queue only). */
  CMD_TLBI_EL3_VA: 0x1a,
  /** Invalidate all NS-EL2 entries. */
  CMD_TLBI_EL2_ALL: 0x20,
  /** Invalidate NS-EL2-E2H non-global entries by ASID. */
  CMD_TLBI_EL2_ASID: 0x21,
  /** Invalidate NS-EL2 entries by VA (and ASID with E2H). */
  CMD_TLBI_EL2_VA: 0x22,
  /** Invalidate NS-EL2 entries by VA for all ASIDs. */
  CMD_TLBI_EL2_VAA: 0x23,
  /** Invalidate all stages of all entries of a VMID. */
  CMD_TLBI_S12_VMALL: 0x28,
  /** Invalidate stage 2 entries by IPA and VMID. */
  CMD_TLBI_S2_IPA: 0x2a,
  /** Invalidate all non-EL2 Non-secure entries. */
  CMD_TLBI_NSNH_ALL: 0x30,
  /** Send an ATS invalidation to an endpoint. */
  CMD_ATC_INV: 0x40,
  /** Respond to a PRI page request group. */
  CMD_PRI_RESP: 0x41,
  /** Retry or terminate a stalled transaction. */
  CMD_RESUME: 0x44,
  /** Terminate all stalled transactions of a StreamID. */
  CMD_STALL_TERM: 0x45,
  /** Wait for completion of prior commands, optionally signalling. */
  CMD_SYNC: 0x46,
  /** Invalidate all S-EL2 entries (Secure queue only). */
  CMD_TLBI_S_EL2_ALL: 0x50,
  /** Invalidate S-EL2-E2H entries by ASID (Secure queue only). */
  CMD_TLBI_S_EL2_ASID: 0x51,
  /** Invalidate S-EL2 entries by VA (Secure queue only). */
  CMD_TLBI_S_EL2_VA: 0x52,
  /** Invalidate S-EL2 entries by VA for all ASIDs (Secure queue only). */
  CMD_TLBI_S_EL2_VAA: 0x53,
  /** Secure stage 1+2 by VMID (Secure queue only). */
  CMD_TLBI_S_S12_VMALL: 0x58,
  /** Secure stage 2 by IPA (Secure queue only). */
  CMD_TLBI_S_S2_IPA: 0x5a,
  /** All Secure non-EL2 entries (Secure queue only). */
  CMD_TLBI_SNH_ALL: 0x60,
  /** Invalidate all cached DPT information (needs SMMU_IDR3.DPT). */
  CMD_DPTI_ALL: 0x70,
  /** Invalidate cached DPT information by PA (needs SMMU_IDR3.DPT). */
  CMD_DPTI_PA: 0x73,
} as const;

/** Any architected command name. */
export type CommandName = keyof typeof COMMAND_OPCODES;

const NAMES = new Map<number, CommandName>(Object.entries(COMMAND_OPCODES).map(([n, c]) => [c, n as CommandName]));

/** The architectural name of an opcode, or `undefined` for Reserved / IMPLEMENTATION DEFINED opcodes. */
export function commandName(opcode: number): CommandName | undefined {
  return NAMES.get(opcode);
}
