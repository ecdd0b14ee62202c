/**
 * The Context Descriptor (64 bytes) [SPEC 5.4], as a declarative field table. Note that TG1 is encoded
 * differently from TG0 (as in TCR_ELx). Fields added after SMMUv3.1 (HAFT, PnCH, EPAN, HWU*, AIE, PIE, PIIU,
 * PIIP) are decoded for display; this model treats them as RES0. Validity rules live in {@link checkCd}.
 * @packageDocumentation
 */
import { defineStructure } from '@viommu/core';
import { ADDRESS_SIZE_VALUES } from './address-size';
import { TG0_VALUES, TG1_VALUES } from './granule';

const TT_CACHEABILITY = { 0: 'Non-cacheable', 1: 'WB, RA, WA', 2: 'WT, RA', 3: 'WB, RA, no WA' } as const;
const SHAREABILITY = { 0: 'Non-shareable', 1: 'reserved (Non-shareable)', 2: 'Outer Shareable', 3: 'Inner Shareable' } as const;

/** CD layout [SPEC 5.4]. */
export const CD = defineStructure({
  name: 'CD',
  bits: 512,
  fields: [
    { name: 'T0SZ', hi: 5, lo: 0, doc: 'TTB0 region size: 64 − T0SZ bits (VMSAv8-64; 16..39, 12 with 52-bit VAs); 3 bits for VMSAv8-32 LPAE.' },
    { name: 'TG0', hi: 7, lo: 6, values: TG0_VALUES, doc: 'TTB0 granule: 0 4KB, 1 64KB, 2 16KB, 3 reserved.' },
    { name: 'IR0', hi: 9, lo: 8, values: TT_CACHEABILITY, doc: 'Inner cacheability of TTB0 walks.' },
    { name: 'OR0', hi: 11, lo: 10, values: TT_CACHEABILITY, doc: 'Outer cacheability of TTB0 walks.' },
    { name: 'SH0', hi: 13, lo: 12, values: SHAREABILITY, doc: 'Shareability of TTB0 walks.' },
    { name: 'EPD0', hi: 14, lo: 14, values: { 0: 'walk TTB0', 1: 'TTB0 disabled' }, doc: 'TTB0 walk disable: a TLB miss through TTB0 is F_TRANSLATION; TTB0 fields are not checked.' },
    { name: 'ENDI', hi: 15, lo: 15, values: { 0: 'little-endian', 1: 'big-endian' }, doc: 'Translation table endianness.' },
    { name: 'T1SZ', hi: 21, lo: 16, doc: 'TTB1 region size, as T0SZ.' },
    { name: 'TG1', hi: 23, lo: 22, values: TG1_VALUES, doc: 'TTB1 granule: 0 reserved, 1 16KB, 2 4KB, 3 64KB (differs from TG0).' },
    { name: 'IR1', hi: 25, lo: 24, values: TT_CACHEABILITY, doc: 'Inner cacheability of TTB1 walks.' },
    { name: 'OR1', hi: 27, lo: 26, values: TT_CACHEABILITY, doc: 'Outer cacheability of TTB1 walks.' },
    { name: 'SH1', hi: 29, lo: 28, values: SHAREABILITY, doc: 'Shareability of TTB1 walks.' },
    { name: 'EPD1', hi: 30, lo: 30, values: { 0: 'walk TTB1', 1: 'TTB1 disabled' }, doc: 'TTB1 walk disable.' },
    { name: 'V', hi: 31, lo: 31, values: { 0: 'invalid', 1: 'valid' }, doc: 'CD valid; V == 0 gives C_BAD_CD.' },
    { name: 'IPS', hi: 34, lo: 32, values: ADDRESS_SIZE_VALUES, doc: 'Stage 1 output (IPA) size; effective MIN(IPS, SMMU_IDR5.OAS); 40 bits for VMSAv8-32 LPAE.' },
    { name: 'AFFD', hi: 35, lo: 35, doc: 'Access flag fault disable (AF treated as 1) when HA == 0.' },
    { name: 'WXN', hi: 36, lo: 36, doc: 'Write implies execute-never.' },
    { name: 'UWXN', hi: 37, lo: 37, doc: 'Unprivileged write implies privileged execute-never (VMSAv8-32 only; IGNORED for VMSAv8-64).' },
    { name: 'TBI0', hi: 38, lo: 38, doc: 'Top byte ignore for TTB0 addresses.' },
    { name: 'TBI1', hi: 39, lo: 39, doc: 'Top byte ignore for TTB1 addresses.' },
    { name: 'PAN', hi: 40, lo: 40, doc: 'Privileged access never.' },
    { name: 'AA64', hi: 41, lo: 41, values: { 0: 'VMSAv8-32 LPAE', 1: 'VMSAv8-64' }, doc: 'Translation table format of TTB0 and TTB1.' },
    { name: 'HD', hi: 42, lo: 42, doc: 'Hardware update of Dirty state (with HA).' },
    { name: 'HA', hi: 43, lo: 43, doc: 'Hardware update of the Access flag.' },
    { name: 'S', hi: 44, lo: 44, doc: 'Stage 1 faults stall (Stall model) [SPEC 5.5].' },
    { name: 'R', hi: 45, lo: 45, doc: 'Stage 1 faults are recorded [SPEC 5.5].' },
    { name: 'A', hi: 46, lo: 46, values: { 0: 'terminate with RAZ/WI', 1: 'terminate with abort' }, doc: 'How terminated transactions complete [SPEC 5.5].' },
    { name: 'ASET', hi: 47, lo: 47, values: { 0: 'shared ASID set', 1: 'non-shared ASID set' }, doc: 'ASID set: participation in broadcast invalidation.' },
    { name: 'ASID', hi: 63, lo: 48, doc: 'ASID tagging this context; [15:8] must be zero without SMMU_IDR0.ASID16.' },
    { name: 'NSCFG0', hi: 64, lo: 64, doc: 'NS of the TTB0 start-level fetch (Secure streams only).' },
    { name: 'HAD0', hi: 65, lo: 65, doc: 'Hierarchical attribute disable for TTB0 (with SMMU_IDR3.HAD).' },
    { name: 'E0PD0', hi: 66, lo: 66, doc: 'Unprivileged accesses through TTB0 fault (with SMMU_IDR3.E0PD).' },
    { name: 'HAFT', hi: 67, lo: 67, doc: 'Hardware Access flag update in table descriptors (SMMU_IDR0.HTTU == 0b11).' },
    {
      name: 'TTB0',
      hi: 119,
      lo: 68,
      shift: 4,
      big: true,
      doc: 'TTB0 table base, address[55:4]; bits [55:52] (CD bits [119:116]) are RES0 and make the address out of range.',
    },
    { name: 'PnCH', hi: 122, lo: 122, doc: 'Protected attribute enable (RES0 without SMMU_IDR3.THE).' },
    { name: 'EPAN', hi: 123, lo: 123, doc: 'Enhanced PAN (RES0 without SMMU_IDR3.EPAN).' },
    { name: 'HWU059', hi: 124, lo: 124, doc: 'PBHA: TTB0 descriptor bit 59 has hardware use.' },
    { name: 'HWU060', hi: 125, lo: 125, doc: 'PBHA: TTB0 descriptor bit 60 has hardware use.' },
    { name: 'HWU061', hi: 126, lo: 126, doc: 'PBHA: TTB0 descriptor bit 61 has hardware use.' },
    { name: 'HWU062', hi: 127, lo: 127, doc: 'PBHA: TTB0 descriptor bit 62 has hardware use.' },
    { name: 'NSCFG1', hi: 128, lo: 128, doc: 'NS of the TTB1 start-level fetch (Secure streams only).' },
    { name: 'HAD1', hi: 129, lo: 129, doc: 'Hierarchical attribute disable for TTB1.' },
    { name: 'E0PD1', hi: 130, lo: 130, doc: 'Unprivileged accesses through TTB1 fault.' },
    { name: 'AIE', hi: 131, lo: 131, doc: 'Attribute index extension (RES0 without SMMU_IDR3.AIE).' },
    { name: 'TTB1', hi: 183, lo: 132, shift: 4, big: true, doc: 'TTB1 table base, address[55:4]; bits [55:52] (CD bits [183:180]) are RES0.' },
    { name: 'DS', hi: 186, lo: 186, doc: '52-bit addresses with 4KB/16KB granules (FEAT_LPA2); RES0 without SMMU_IDR5.DS.' },
    { name: 'PIE', hi: 187, lo: 187, doc: 'Stage 1 permission indirection (RES0 without SMMU_IDR3.S1PI).' },
    { name: 'HWU159', hi: 188, lo: 188, doc: 'PBHA: TTB1 descriptor bit 59 has hardware use.' },
    { name: 'HWU160', hi: 189, lo: 189, doc: 'PBHA: TTB1 descriptor bit 60 has hardware use.' },
    { name: 'HWU161', hi: 190, lo: 190, doc: 'PBHA: TTB1 descriptor bit 61 has hardware use.' },
    { name: 'HWU162', hi: 191, lo: 191, doc: 'PBHA: TTB1 descriptor bit 62 has hardware use.' },
    { name: 'MAIR0', hi: 223, lo: 192, doc: 'MAIR[31:0]: attributes for AttrIndx 0..3.' },
    { name: 'MAIR1', hi: 255, lo: 224, doc: 'MAIR[63:32]: attributes for AttrIndx 4..7.' },
    { name: 'AMAIR0', hi: 287, lo: 256, doc: 'AMAIR[31:0] (IMPLEMENTATION DEFINED).' },
    { name: 'AMAIR1', hi: 319, lo: 288, doc: 'AMAIR[63:32] (IMPLEMENTATION DEFINED).' },
    { name: 'IMPDEF', hi: 351, lo: 320, doc: 'IMPLEMENTATION DEFINED.' },
    { name: 'PARTID', hi: 367, lo: 352, doc: 'MPAM PARTID when STE.S1MPAM == 1.' },
    { name: 'PMG', hi: 375, lo: 368, doc: 'MPAM PMG when STE.S1MPAM == 1.' },
    { name: 'PIIU', hi: 431, lo: 384, doc: 'Unprivileged permission interpretations (permission indirection only).' },
    { name: 'PIIP', hi: 495, lo: 448, doc: 'Privileged permission interpretations (permission indirection only).' },
  ],
  reserved: [
    [121, 120],
    [185, 184],
    [383, 376],
    [447, 432],
    [511, 496],
  ],
});

/** Number of 32-bit words in a CD. */
export const CD_WORDS = 16;
