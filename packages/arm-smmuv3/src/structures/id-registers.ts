/**
 * Layouts of the SMMU feature registers this model reads: SMMU_IDR0 [SPEC 6.3.1], SMMU_IDR1 [SPEC 6.3.2] and
 * SMMU_IDR5 [SPEC 6.3.6]. Each is a 32-bit register; {@link decodeCapabilities} turns them into typed
 * {@link SmmuCapabilities}.
 * @packageDocumentation
 */
import { defineStructure } from '@viommu/core';
import { ADDRESS_SIZE_VALUES } from './address-size';

const BOOL = { 0: 'not supported', 1: 'supported' } as const;

/** SMMU_IDR0: translation stages, table formats, HTTU, ATS/PRI, ASID/VMID sizes, stall model [SPEC 6.3.1]. */
export const SMMU_IDR0 = defineStructure({
  name: 'SMMU_IDR0',
  bits: 32,
  fields: [
    { name: 'S2P', hi: 0, lo: 0, values: BOOL, doc: 'Stage 2 translation supported.' },
    { name: 'S1P', hi: 1, lo: 1, values: BOOL, doc: 'Stage 1 translation supported.' },
    {
      name: 'TTF',
      hi: 3,
      lo: 2,
      values: { 0: 'reserved', 1: 'VMSAv8-32 LPAE', 2: 'VMSAv8-64', 3: 'VMSAv8-32 LPAE and VMSAv8-64' },
      doc: 'Translation table formats supported at both stages; bit 0 = AArch32 LPAE, bit 1 = AArch64.',
    },
    { name: 'COHACC', hi: 4, lo: 4, values: BOOL, doc: 'IO-coherent access to tables, structures and queues.' },
    { name: 'BTM', hi: 5, lo: 5, values: BOOL, doc: 'Broadcast TLB maintenance supported.' },
    {
      name: 'HTTU',
      hi: 7,
      lo: 6,
      values: { 0: 'none', 1: 'Access flag', 2: 'Access flag and Dirty state', 3: 'AF, Dirty state and table AF' },
      doc: 'Hardware translation table Access flag / Dirty state update support.',
    },
    { name: 'DORMHINT', hi: 8, lo: 8, values: BOOL, doc: 'Dormant hint supported.' },
    { name: 'HYP', hi: 9, lo: 9, values: BOOL, doc: 'Hypervisor (NS-EL2) stage 1 contexts supported (STE.STRW = EL2).' },
    { name: 'ATS', hi: 10, lo: 10, values: BOOL, doc: 'PCIe ATS supported.' },
    { name: 'NS1ATS', hi: 11, lo: 11, values: { 0: 'split-stage ATS supported', 1: 'split-stage ATS not supported' }, doc: 'Split-stage (STE.EATS = 0b10) ATS NOT supported when 1.' },
    { name: 'ASID16', hi: 12, lo: 12, values: BOOL, doc: '16-bit ASIDs supported; else ASID[15:8] must be zero.' },
    { name: 'MSI', hi: 13, lo: 13, values: BOOL, doc: 'Message-signalled interrupts supported.' },
    { name: 'SEV', hi: 14, lo: 14, values: BOOL, doc: 'WFE wake-up events to the PE supported.' },
    { name: 'ATOS', hi: 15, lo: 15, values: BOOL, doc: 'Address translation operations supported.' },
    { name: 'PRI', hi: 16, lo: 16, values: BOOL, doc: 'PCIe Page Request Interface supported.' },
    { name: 'VMW', hi: 17, lo: 17, values: BOOL, doc: 'VMID wildcard matching for TLB invalidation supported.' },
    { name: 'VMID16', hi: 18, lo: 18, values: BOOL, doc: '16-bit VMIDs supported; else VMID[15:8] must be zero.' },
    { name: 'CD2L', hi: 19, lo: 19, values: BOOL, doc: '2-level Context descriptor tables supported.' },
    { name: 'VATOS', hi: 20, lo: 20, values: BOOL, doc: 'Virtual ATOS page interface supported.' },
    {
      name: 'TTENDIAN',
      hi: 22,
      lo: 21,
      values: { 0: 'mixed-endian', 1: 'reserved', 2: 'little-endian only', 3: 'big-endian only' },
      doc: 'Endianness of translation table walks (CD.ENDI, STE.S2ENDI).',
    },
    { name: 'ATSRECERR', hi: 23, lo: 23, values: BOOL, doc: 'Recording of additional ATS/PRI configuration errors.' },
    {
      name: 'STALL_MODEL',
      hi: 25,
      lo: 24,
      values: { 0: 'stall and terminate', 1: 'terminate only (no stall)', 2: 'stall forced', 3: 'reserved' },
      doc: 'Fault models supported; governs STE.S1STALLD, STE.S2S and CD.S legality.',
    },
    { name: 'TERM_MODEL', hi: 26, lo: 26, values: { 0: 'CD.A selects abort or RAZ/WI', 1: 'always abort (CD.A must be 1)' }, doc: 'Terminate model.' },
    { name: 'ST_LEVEL', hi: 28, lo: 27, values: { 0: 'linear only', 1: '2-level and linear', 2: 'reserved', 3: 'reserved' }, doc: 'Multi-level Stream table support.' },
    { name: 'RME_IMPL', hi: 30, lo: 30, values: BOOL, doc: 'RME features implemented (SMMUv3.3).' },
  ],
  reserved: [
    [29, 29],
    [31, 31],
  ],
});

/** SMMU_IDR1: StreamID/SubstreamID sizes, queue sizes, presets [SPEC 6.3.2]. */
export const SMMU_IDR1 = defineStructure({
  name: 'SMMU_IDR1',
  bits: 32,
  fields: [
    { name: 'SIDSIZE', hi: 5, lo: 0, doc: 'StreamID size in bits (0..32).' },
    { name: 'SSIDSIZE', hi: 10, lo: 6, doc: 'SubstreamID size in bits (0..20); 0 = substreams not supported.' },
    { name: 'PRIQS', hi: 15, lo: 11, doc: 'log2 of the maximum PRI queue entries (≤ 19).' },
    { name: 'EVENTQS', hi: 20, lo: 16, doc: 'log2 of the maximum Event queue entries (≤ 19).' },
    { name: 'CMDQS', hi: 25, lo: 21, doc: 'log2 of the maximum Command queue entries (≤ 19).' },
    { name: 'ATTR_PERMS_OVR', hi: 26, lo: 26, values: BOOL, doc: 'Incoming INST/PRIV/NS attributes can be overridden (STE.INSTCFG/PRIVCFG/NSCFG).' },
    { name: 'ATTR_TYPES_OVR', hi: 27, lo: 27, values: BOOL, doc: 'Incoming memory type/shareability/hints can be overridden (STE.MTCFG/ALLOCCFG/SHCFG).' },
    { name: 'REL', hi: 28, lo: 28, values: { 0: 'absolute', 1: 'relative to page 0' }, doc: 'Preset base addresses are relative.' },
    { name: 'QUEUES_PRESET', hi: 29, lo: 29, values: BOOL, doc: 'Queue base registers are fixed.' },
    { name: 'TABLES_PRESET', hi: 30, lo: 30, values: BOOL, doc: 'STRTAB_BASE / STRTAB_BASE_CFG are fixed.' },
    { name: 'ECMDQ', hi: 31, lo: 31, values: BOOL, doc: 'Enhanced Command queue interface (SMMU_IDR6).' },
  ],
});

/** SMMU_IDR5: output address size, granules, VA extension, stall limit [SPEC 6.3.6]. */
export const SMMU_IDR5 = defineStructure({
  name: 'SMMU_IDR5',
  bits: 32,
  fields: [
    { name: 'OAS', hi: 2, lo: 0, values: ADDRESS_SIZE_VALUES, doc: 'Output (physical) address size; also caps STE.S2PS and CD.IPS.' },
    { name: 'GRAN4K', hi: 4, lo: 4, values: BOOL, doc: '4KB translation granule supported.' },
    { name: 'GRAN16K', hi: 5, lo: 5, values: BOOL, doc: '16KB translation granule supported.' },
    { name: 'GRAN64K', hi: 6, lo: 6, values: BOOL, doc: '64KB translation granule supported.' },
    { name: 'DS', hi: 7, lo: 7, values: BOOL, doc: '52-bit addresses with 4KB/16KB granules (FEAT_LPA2: CD.DS, STE.S2DS).' },
    { name: 'D128', hi: 8, lo: 8, values: BOOL, doc: 'VMSAv9-128 descriptors supported (not modelled: must be 0).' },
    { name: 'VAX', hi: 11, lo: 10, values: { 0: '48-bit VA', 1: '52-bit VA', 2: '56-bit VA', 3: 'reserved' }, doc: 'Virtual address extension per CD.TTBx.' },
    { name: 'STALL_MAX', hi: 31, lo: 16, doc: 'Maximum number of outstanding stalled transactions.' },
  ],
  reserved: [
    [3, 3],
    [9, 9],
    [15, 12],
  ],
});
