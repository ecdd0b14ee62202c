/**
 * The Stream Table Entry (64 bytes) [SPEC 5.2], as a declarative field table. Fields follow the
 * architecture's names; bit numbers are absolute (bit 64 is bit 0 of the second 64-bit word). Fields added
 * after SMMUv3.1 (S1PIE, S2HAFT, S2PIE, S2POE, DPT_VMATCH, S2SKL, MECID, AssuredOnly, TL0/TL1, S2POI) and
 * the Secure-only fields are decoded for display; this model treats them as RES0/IGNORED. Validity rules
 * live in {@link checkSte}.
 * @packageDocumentation
 */
import { defineStructure } from '@viommu/core';
import { ADDRESS_SIZE_VALUES } from './address-size';
import { TG0_VALUES } from './granule';

const CACHEABILITY = { 0: 'Non-cacheable', 1: 'Write-Back, Read-Allocate', 2: 'Write-Through, Read-Allocate', 3: 'Write-Back, no Read-Allocate' } as const;
const TT_CACHEABILITY = { 0: 'Non-cacheable', 1: 'WB, RA, WA', 2: 'WT, RA', 3: 'WB, RA, no WA' } as const;
const SHAREABILITY = { 0: 'Non-shareable', 1: 'reserved (Non-shareable)', 2: 'Outer Shareable', 3: 'Inner Shareable' } as const;
const OVERRIDE = { 0: 'use incoming', 1: 'reserved (use incoming)' } as const;

/** STE layout [SPEC 5.2]. */
export const STE = defineStructure({
  name: 'STE',
  bits: 512,
  fields: [
    { name: 'V', hi: 0, lo: 0, values: { 0: 'invalid', 1: 'valid' }, doc: 'STE valid; V == 0 gives C_BAD_STE.' },
    {
      name: 'Config',
      hi: 3,
      lo: 1,
      values: {
        0: 'abort (no event)',
        1: 'reserved (abort)',
        2: 'reserved (abort)',
        3: 'reserved (abort)',
        4: 'bypass',
        5: 'stage 1 translate, stage 2 bypass',
        6: 'stage 1 bypass, stage 2 translate',
        7: 'nested: stage 1 and stage 2 translate',
      },
      doc: 'Stream configuration; 0b0xx aborts silently, 0b1x1 enables stage 1, 0b11x enables stage 2.',
    },
    {
      name: 'S1Fmt',
      hi: 5,
      lo: 4,
      values: { 0: 'linear CD table', 1: '2-level, 4KB L2 tables', 2: '2-level, 64KB L2 tables', 3: 'reserved (linear)' },
      doc: 'CD table format; IGNORED when S1CDMax == 0 or SMMU_IDR1.SSIDSIZE == 0 (S1ContextPtr points to one CD).',
    },
    {
      name: 'S1ContextPtr',
      hi: 55,
      lo: 6,
      shift: 6,
      big: true,
      doc: 'Address of the CD or CD table, bits [55:6]; an IPA when Config == 0b11x, else a PA.',
    },
    { name: 'S1CDMax', hi: 63, lo: 59, doc: 'log2 of the number of CDs; legal 0..SMMU_IDR1.SSIDSIZE; 0 disables substreams.' },
    {
      name: 'S1DSS',
      hi: 65,
      lo: 64,
      values: { 0: 'terminate', 1: 'bypass stage 1', 2: 'substream 0', 3: 'reserved (terminate)' },
      doc: 'Default substream: what a transaction without SubstreamID does when S1CDMax != 0.',
    },
    { name: 'S1CIR', hi: 67, lo: 66, values: CACHEABILITY, doc: 'Inner cacheability of CD and L1CD fetches.' },
    { name: 'S1COR', hi: 69, lo: 68, values: CACHEABILITY, doc: 'Outer cacheability of CD and L1CD fetches.' },
    { name: 'S1CSH', hi: 71, lo: 70, values: SHAREABILITY, doc: 'Shareability of CD and L1CD fetches.' },
    { name: 'S2HWU59', hi: 72, lo: 72, doc: 'Stage 2 descriptor bit 59 has IMPLEMENTATION DEFINED use (PBHA; IGNORED without SMMU_IDR3.PBHA).' },
    { name: 'S2HWU60', hi: 73, lo: 73, doc: 'As S2HWU59 for descriptor bit 60.' },
    { name: 'S2HWU61', hi: 74, lo: 74, doc: 'As S2HWU59 for descriptor bit 61.' },
    { name: 'S2HWU62', hi: 75, lo: 75, doc: 'As S2HWU59 for descriptor bit 62.' },
    { name: 'DRE', hi: 76, lo: 76, doc: 'Destructive read enable.' },
    { name: 'CONT', hi: 80, lo: 77, doc: 'Contiguous hint: this STE is identical to the 2^CONT STEs of its aligned span.' },
    { name: 'DCP', hi: 81, lo: 81, doc: 'Directed cache prefetch enable.' },
    { name: 'PPAR', hi: 82, lo: 82, doc: 'PRI page request auto-responses include a PASID prefix.' },
    { name: 'MEV', hi: 83, lo: 83, values: { 0: 'do not merge', 1: 'merge permitted' }, doc: 'Merge events arising from this stream.' },
    { name: 'SW_RESERVED', hi: 87, lo: 84, doc: 'Reserved for software use; IGNORED by the SMMU.' },
    { name: 'S1PIE', hi: 88, lo: 88, doc: 'CDs may enable stage 1 permission indirection (later versions; RES0 without SMMU_IDR3.S1PI).' },
    { name: 'S2FWB', hi: 89, lo: 89, doc: 'Stage 2 forced write-back (HCR_EL2.FWB behaviour), SMMUv3.2.' },
    { name: 'S1MPAM', hi: 90, lo: 90, doc: 'PARTID/PMG come from the CD (MPAM), SMMUv3.2.' },
    { name: 'S1STALLD', hi: 91, lo: 91, doc: 'Stage 1 stall disable: CDs may not select the stall model.' },
    {
      name: 'EATS',
      hi: 93,
      lo: 92,
      values: { 0: 'ATS disabled', 1: 'full ATS', 2: 'split-stage ATS', 3: 'full ATS with DPT checks' },
      doc: 'Enable PCIe ATS translation requests and translated traffic.',
    },
    {
      name: 'STRW',
      hi: 95,
      lo: 94,
      values: { 0: 'NS-EL1', 1: 'reserved (ILLEGAL)', 2: 'NS-EL2 / NS-EL2-E2H', 3: 'reserved (ILLEGAL)' },
      doc: 'StreamWorld for stage-1-only streams; IGNORED when Config == 0b11x or 0b100, RES0 without SMMU_IDR0.Hyp.',
    },
    { name: 'MemAttr', hi: 99, lo: 96, doc: 'Memory type override (stage 2 MemAttr encoding) when MTCFG == 1.' },
    { name: 'MTCFG', hi: 100, lo: 100, values: { 0: 'use incoming', 1: 'use MemAttr' }, doc: 'Memory type override enable.' },
    { name: 'ALLOCCFG', hi: 104, lo: 101, doc: 'Allocation hints override: 0b0xxx use incoming, 0b1RWT override.' },
    { name: 'SHCFG', hi: 109, lo: 108, values: { 0: 'Non-shareable', 1: 'use incoming', 2: 'Outer Shareable', 3: 'Inner Shareable' }, doc: 'Shareability override.' },
    { name: 'NSCFG', hi: 111, lo: 110, values: { ...OVERRIDE, 2: 'Secure', 3: 'Non-secure' }, doc: 'NS attribute override (Secure streams only).' },
    { name: 'PRIVCFG', hi: 113, lo: 112, values: { ...OVERRIDE, 2: 'Unprivileged', 3: 'Privileged' }, doc: 'Privilege attribute override.' },
    { name: 'INSTCFG', hi: 115, lo: 114, values: { ...OVERRIDE, 2: 'Data', 3: 'Instruction' }, doc: 'Instruction/data attribute override (reads only).' },
    { name: 'IMPDEF_W1', hi: 127, lo: 116, doc: 'IMPLEMENTATION DEFINED per-stream configuration.' },
    { name: 'S2VMID', hi: 143, lo: 128, doc: 'VMID tagging translations of this stream; [15:8] must be zero without SMMU_IDR0.VMID16.' },
    { name: 'IMPDEF_W2', hi: 159, lo: 144, doc: 'IMPLEMENTATION DEFINED.' },
    { name: 'S2T0SZ', hi: 165, lo: 160, doc: 'Stage 2 input size is 64 − S2T0SZ bits (VMSAv8-64); 4-bit signed, 32 − S2T0SZ, for VMSAv8-32 LPAE.' },
    { name: 'S2SL0', hi: 167, lo: 166, doc: 'Stage 2 starting level (VTCR_EL2.SL0 encoding, depends on S2TG).' },
    { name: 'S2IR0', hi: 169, lo: 168, values: TT_CACHEABILITY, doc: 'Inner cacheability of stage 2 table walks.' },
    { name: 'S2OR0', hi: 171, lo: 170, values: TT_CACHEABILITY, doc: 'Outer cacheability of stage 2 table walks.' },
    { name: 'S2SH0', hi: 173, lo: 172, values: SHAREABILITY, doc: 'Shareability of stage 2 table walks.' },
    { name: 'S2TG', hi: 175, lo: 174, values: TG0_VALUES, doc: 'Stage 2 translation granule.' },
    { name: 'S2PS', hi: 178, lo: 176, values: ADDRESS_SIZE_VALUES, doc: 'Stage 2 output size; effective MIN(S2PS, SMMU_IDR5.OAS).' },
    { name: 'S2AA64', hi: 179, lo: 179, values: { 0: 'VMSAv8-32 LPAE', 1: 'VMSAv8-64' }, doc: 'Stage 2 translation table format.' },
    { name: 'S2ENDI', hi: 180, lo: 180, values: { 0: 'little-endian', 1: 'big-endian' }, doc: 'Stage 2 table endianness.' },
    { name: 'S2AFFD', hi: 181, lo: 181, doc: 'Stage 2 Access flag fault disable (AF treated as 1) when S2HA == 0.' },
    { name: 'S2PTW', hi: 182, lo: 182, doc: 'Protected table walk: CD fetches and stage 1 walks to stage 2 Device memory fault.' },
    { name: 'S2HD', hi: 183, lo: 183, doc: 'Stage 2 hardware update of Dirty state.' },
    { name: 'S2HA', hi: 184, lo: 184, doc: 'Stage 2 hardware update of the Access flag.' },
    { name: 'S2S', hi: 185, lo: 185, doc: 'Stage 2 faults stall (Stall model).' },
    { name: 'S2R', hi: 186, lo: 186, doc: 'Stage 2 faults are recorded.' },
    { name: 'S2HAFT', hi: 187, lo: 187, doc: 'Stage 2 hardware Access flag update in table descriptors (needs SMMU_IDR0.HTTU == 0b11).' },
    { name: 'S2PIE', hi: 188, lo: 188, doc: 'Stage 2 permission indirection (later versions; RES0 without SMMU_IDR3.S2PI).' },
    { name: 'S2POE', hi: 189, lo: 189, doc: 'Stage 2 permission overlay (later versions; RES0 without SMMU_IDR3.S2PO).' },
    { name: 'DPT_VMATCH', hi: 191, lo: 190, doc: 'VMID matching for DPT checks (RES0 without SMMU_IDR3.DPT).' },
    { name: 'S2NSW', hi: 192, lo: 192, doc: 'Secure streams: NS of stage 2 walks through S2TTB.' },
    { name: 'S2NSA', hi: 193, lo: 193, doc: 'Secure streams: NS output of Non-secure IPA translations.' },
    { name: 'S2SL0_2', hi: 194, lo: 194, doc: 'Bit 2 of S2SL0 (4KB granule with S2DS == 1); RES0 without SMMU_IDR5.DS.' },
    { name: 'S2DS', hi: 195, lo: 195, doc: '52-bit stage 2 addresses with 4KB/16KB granules (FEAT_LPA2); RES0 without SMMU_IDR5.DS.' },
    {
      name: 'S2TTB',
      hi: 247,
      lo: 196,
      shift: 4,
      big: true,
      doc: 'Stage 2 table base, address[55:4]; bits [55:52] (STE bits [247:244]) are RES0 and make the address out of range.',
    },
    { name: 'S2SKL', hi: 254, lo: 253, doc: 'Stage 2 skip-level (VMSAv9-128 only; RES0 here).' },
    { name: 'IMPDEF_W4', hi: 271, lo: 256, doc: 'IMPLEMENTATION DEFINED.' },
    { name: 'PARTID', hi: 287, lo: 272, doc: 'MPAM PARTID for accesses of this stream (SMMUv3.2).' },
    { name: 'S_S2T0SZ', hi: 293, lo: 288, doc: 'Secure stage 2 T0SZ (Secure streams only).' },
    { name: 'S_S2SL0', hi: 295, lo: 294, doc: 'Secure stage 2 SL0 (Secure streams only).' },
    { name: 'S_S2TG', hi: 303, lo: 302, values: TG0_VALUES, doc: 'Secure stage 2 granule (Secure streams only).' },
    { name: 'MECID', hi: 319, lo: 304, doc: 'MECID (Realm streams only).' },
    { name: 'PMG', hi: 327, lo: 320, doc: 'MPAM PMG for accesses of this stream (SMMUv3.2).' },
    { name: 'MPAM_NS', hi: 328, lo: 328, doc: 'PARTID space (Secure/Realm streams only).' },
    { name: 'AssuredOnly', hi: 329, lo: 329, doc: 'Stage 2 AssuredOnly checks (RES0 without SMMU_IDR3.THE).' },
    { name: 'TL0', hi: 330, lo: 330, doc: 'Stage 2 TopLevel0 check (RES0 without SMMU_IDR3.THE).' },
    { name: 'TL1', hi: 331, lo: 331, doc: 'Stage 2 TopLevel1 check (RES0 without SMMU_IDR3.THE).' },
    { name: 'VMSPtr', hi: 375, lo: 332, shift: 12, big: true, doc: 'PA of the Virtual Machine Structure, bits [55:12] (unused: VMS not modelled).' },
    { name: 'S2SW', hi: 384, lo: 384, doc: 'Secure streams: NS of stage 2 walks through S_S2TTB.' },
    { name: 'S2SA', hi: 385, lo: 385, doc: 'Secure streams: NS output of Secure IPA translations.' },
    { name: 'S_S2SL0_2', hi: 386, lo: 386, doc: 'Bit 2 of S_S2SL0 (Secure streams only).' },
    { name: 'S_S2TTB', hi: 439, lo: 388, shift: 4, big: true, doc: 'Secure stage 2 table base, address[55:4] (Secure streams only).' },
    { name: 'S_S2SKL', hi: 446, lo: 445, doc: 'Secure stage 2 skip-level (VMSAv9-128 only).' },
    { name: 'S2POI', hi: 511, lo: 448, big: true, doc: 'Stage 2 permission overlay interpretations (RES0 without SMMU_IDR3.S2PO).' },
  ],
  reserved: [
    [58, 56],
    [107, 105],
    [252, 248],
    [255, 255],
    [301, 296],
    [383, 376],
    [387, 387],
    [444, 440],
    [447, 447],
  ],
});

/** Number of 32-bit words in an STE. */
export const STE_WORDS = 16;
