/**
 * Field specifications shared by the command layouts [SPEC 4.1.6, 4.2–4.7]. Bit numbers are absolute within
 * the 16-byte command.
 * @packageDocumentation
 */

/** Opcode [7:0]. */
export const CMD_OPCODE = { name: 'Opcode', hi: 7, lo: 0, doc: 'Command opcode.' } as const;
/** SSec [10]: Secure StreamID (must be 0 on the Non-secure queue). */
export const CMD_SSEC = { name: 'SSec', hi: 10, lo: 10, values: { 0: 'Non-secure StreamID', 1: 'Secure StreamID' }, doc: 'StreamID Security state; must be 0 on the Non-secure Command queue.' } as const;
/** SSV [11]. */
export const CMD_SSV = { name: 'SSV', hi: 11, lo: 11, values: { 0: 'no SubstreamID', 1: 'SubstreamID valid' }, doc: 'SubstreamID supplied.' } as const;
/** SubstreamID [31:12]. */
export const CMD_SUBSTREAM_ID = { name: 'SubstreamID', hi: 31, lo: 12, doc: 'SubstreamID (with SSV, or the CD index for CMD_CFGI_CD).' } as const;
/** StreamID [63:32]. */
export const CMD_STREAM_ID = { name: 'StreamID', hi: 63, lo: 32, doc: 'StreamID.' } as const;
/** Leaf [64]. */
export const CMD_LEAF = {
  name: 'Leaf',
  hi: 64,
  lo: 64,
  values: { 0: 'all levels', 1: 'last level only' },
  doc: 'Leaf == 1 limits the invalidation to the last-level entry (CFGI: not the L1STD/L1CD).',
} as const;
/** Range [68:64] of CMD_CFGI_STE_RANGE. */
export const CMD_RANGE = { name: 'Range', hi: 68, lo: 64, doc: 'Invalidate 2^(Range+1) StreamIDs aligned to their size; 31 = all (CMD_CFGI_ALL).' } as const;
/** NUM [16:12] of range TLBIs. */
export const CMD_NUM = { name: 'NUM', hi: 16, lo: 12, doc: 'Range invalidation: (NUM+1) × 2^SCALE granules (RES0 when TG == 0).' } as const;
/** SCALE [25:20] of range TLBIs; bit 25 is RES0 without SMMU_IDR5.DS. */
export const CMD_SCALE = { name: 'SCALE', hi: 25, lo: 20, doc: 'Range invalidation scale; 5 bits [24:20] unless SMMU_IDR5.DS (RES0 when TG == 0).' } as const;
/** VMID [47:32]. */
export const CMD_VMID = { name: 'VMID', hi: 47, lo: 32, doc: 'VMID (upper byte RES0 without SMMU_IDR0.VMID16).' } as const;
/** ASID [63:48]. */
export const CMD_ASID = { name: 'ASID', hi: 63, lo: 48, doc: 'ASID (upper byte RES0 without SMMU_IDR0.ASID16).' } as const;
/** TTL [73:72]. */
export const CMD_TTL = { name: 'TTL', hi: 73, lo: 72, doc: 'Level hint of the leaf entries (RES0 when TG == 0).' } as const;
/** TG [75:74]. */
export const CMD_TG = {
  name: 'TG',
  hi: 75,
  lo: 74,
  values: { 0: 'any (no range, no TTL)', 1: '4KB', 2: '16KB', 3: '64KB' },
  doc: 'Granule of the entries to invalidate; non-zero enables range invalidation and the TTL hint.',
} as const;
/** Address[63:12] at [127:76] (VA commands). */
export const CMD_VA = { name: 'Address', hi: 127, lo: 76, shift: 12, big: true, doc: 'Virtual address, bits [63:12].' } as const;
/** IPA[51:12] at [115:76] (CMD_TLBI_S2_IPA). */
export const CMD_IPA = { name: 'Address', hi: 115, lo: 76, shift: 12, doc: 'IPA, bits [51:12].' } as const;
