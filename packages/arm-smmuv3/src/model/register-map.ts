/**
 * The SMMUv3 Non-secure programming interface: register offsets and the fields the device model
 * implements (Arm IHI0070 G.b §6.2 register overview, §6.3 register formats). Page 1 registers sit at
 * `SMMU_PAGE1` (+0x10000) from the base of page 0, as §6.2.2 places them.
 * @packageDocumentation
 */

/** Offset of register page 1 from page 0 (§6.2.2). */
export const SMMU_PAGE1 = 0x1_0000;

/** Register offsets from the base of page 0 (§6.2.1, §6.2.2). 64-bit registers are marked in their docs. */
export const SmmuReg = {
  /** SMMU_IDR0, 32-bit RO: feature flags (§6.3.1). */
  IDR0: 0x00,
  /** SMMU_IDR1, 32-bit RO: sizes of StreamID, SubstreamID and queues (§6.3.2). */
  IDR1: 0x04,
  /** SMMU_IDR2, 32-bit RO: VATOS page offset (§6.3.3); reads 0 (no VATOS). */
  IDR2: 0x08,
  /** SMMU_IDR3, 32-bit RO: v3.1+ features, RIL [10], BBML [12:11] (§6.3.4). */
  IDR3: 0x0c,
  /** SMMU_IDR4, 32-bit RO: IMPLEMENTATION DEFINED (§6.3.5); reads 0. */
  IDR4: 0x10,
  /** SMMU_IDR5, 32-bit RO: OAS, granules, VAX (§6.3.6). */
  IDR5: 0x14,
  /** SMMU_IIDR, 32-bit RO: implementation identification (§6.3.7). */
  IIDR: 0x18,
  /** SMMU_AIDR, 32-bit RO: architecture revision, ArchMinorRev [3:0] (§6.3.8). */
  AIDR: 0x1c,
  /** SMMU_CR0, 32-bit RW: SMMUEN [0], PRIQEN [1], EVENTQEN [2], CMDQEN [3], ATSCHK [4], VMW [8:6] (§6.3.9). */
  CR0: 0x20,
  /** SMMU_CR0ACK, 32-bit RO: the Updated values of the CR0 fields (§6.3.10). */
  CR0ACK: 0x24,
  /** SMMU_CR1, 32-bit RW: queue and table memory attributes (§6.3.11). */
  CR1: 0x28,
  /** SMMU_CR2, 32-bit RW: E2H [0], RECINVSID [1], PTM [2] (§6.3.12). */
  CR2: 0x2c,
  /** SMMU_STATUSR, 32-bit RO (§6.3.13); reads 0. */
  STATUSR: 0x40,
  /** SMMU_GBPA, 32-bit RW: global bypass attributes, ABORT [20], Update [31] (§6.3.14). */
  GBPA: 0x44,
  /** SMMU_AGBPA, 32-bit RW: IMPLEMENTATION DEFINED bypass attributes (§6.3.15); RAZ/WI here. */
  AGBPA: 0x48,
  /** SMMU_IRQ_CTRL, 32-bit RW: GERROR_IRQEN [0], PRIQ_IRQEN [1], EVENTQ_IRQEN [2] (§6.3.16). */
  IRQ_CTRL: 0x50,
  /** SMMU_IRQ_CTRLACK, 32-bit RO (§6.3.17). */
  IRQ_CTRLACK: 0x54,
  /** SMMU_GERROR, 32-bit RO: active global errors, CMDQ_ERR [0], EVENTQ_ABT_ERR [2] (§6.3.19). */
  GERROR: 0x60,
  /** SMMU_GERRORN, 32-bit RW: acknowledgement of global errors (§6.3.20). */
  GERRORN: 0x64,
  /** SMMU_GERROR_IRQ_CFG0, 64-bit RW: MSI address (§6.3.21); stored, no MSI is sent. */
  GERROR_IRQ_CFG0: 0x68,
  /** SMMU_GERROR_IRQ_CFG1, 32-bit RW: MSI data (§6.3.22). */
  GERROR_IRQ_CFG1: 0x70,
  /** SMMU_GERROR_IRQ_CFG2, 32-bit RW: MSI attributes (§6.3.23). */
  GERROR_IRQ_CFG2: 0x74,
  /** SMMU_STRTAB_BASE, 64-bit RW: ADDR [55:6], RA [62] (§6.3.24). */
  STRTAB_BASE: 0x80,
  /** SMMU_STRTAB_BASE_CFG, 32-bit RW: LOG2SIZE [5:0], SPLIT [10:6], FMT [17:16] (§6.3.25). */
  STRTAB_BASE_CFG: 0x88,
  /** SMMU_CMDQ_BASE, 64-bit RW: LOG2SIZE [4:0], ADDR [55:5], RA [62] (§6.3.26). */
  CMDQ_BASE: 0x90,
  /** SMMU_CMDQ_PROD, 32-bit RW: WR [19:0] = wrap bit [QS] and index [QS−1:0] (§6.3.27). */
  CMDQ_PROD: 0x98,
  /** SMMU_CMDQ_CONS, 32-bit RW: RD [19:0], ERR [30:24] (§6.3.28). */
  CMDQ_CONS: 0x9c,
  /** SMMU_EVENTQ_BASE, 64-bit RW: LOG2SIZE [4:0], ADDR [55:5], WA [62] (§6.3.29). */
  EVENTQ_BASE: 0xa0,
  /** SMMU_EVENTQ_IRQ_CFG0, 64-bit RW (§6.3.30); stored, no MSI is sent. */
  EVENTQ_IRQ_CFG0: 0xb0,
  /** SMMU_EVENTQ_IRQ_CFG1, 32-bit RW (§6.3.31). */
  EVENTQ_IRQ_CFG1: 0xb8,
  /** SMMU_EVENTQ_IRQ_CFG2, 32-bit RW (§6.3.32). */
  EVENTQ_IRQ_CFG2: 0xbc,
  /** SMMU_PRIQ_BASE, 64-bit RW (§6.3.33); stored, PRI requests are not modelled. */
  PRIQ_BASE: 0xc0,
  /** SMMU_PRIQ_IRQ_CFG0, 64-bit RW; stored. */
  PRIQ_IRQ_CFG0: 0xd0,
  /** SMMU_PRIQ_IRQ_CFG1, 32-bit RW; stored. */
  PRIQ_IRQ_CFG1: 0xd8,
  /** SMMU_PRIQ_IRQ_CFG2, 32-bit RW; stored. */
  PRIQ_IRQ_CFG2: 0xdc,
  /** SMMU_EVENTQ_PROD (page 1), 32-bit RW: WR [19:0], OVFLG [31]. */
  EVENTQ_PROD: SMMU_PAGE1 + 0xa8,
  /** SMMU_EVENTQ_CONS (page 1), 32-bit RW: RD [19:0], OVACKFLG [31]. */
  EVENTQ_CONS: SMMU_PAGE1 + 0xac,
  /** SMMU_PRIQ_PROD (page 1), 32-bit RW; stored. */
  PRIQ_PROD: SMMU_PAGE1 + 0xc8,
  /** SMMU_PRIQ_CONS (page 1), 32-bit RW; stored. */
  PRIQ_CONS: SMMU_PAGE1 + 0xcc,
} as const;

/** SMMU_CR0 / SMMU_CR0ACK fields (§6.3.9). */
export const Cr0 = {
  /** Non-secure SMMU enable. */
  SMMUEN: 1 << 0,
  /** PRI queue enable (writable when IDR0.PRI == 1). */
  PRIQEN: 1 << 1,
  /** Event queue enable. */
  EVENTQEN: 1 << 2,
  /** Command queue enable. */
  CMDQEN: 1 << 3,
  /** ATS safe mode (writable when IDR0.ATS == 1). */
  ATSCHK: 1 << 4,
  /** VMID wildcard, bits [8:6] (writable when IDR0.VMW == 1). */
  VMW_MASK: 0b111 << 6,
} as const;

/** SMMU_CR2 fields (§6.3.12). */
export const Cr2 = {
  /** EL2-E2H regime for STRW == EL2 streams (writable when IDR0.Hyp == 1). */
  E2H: 1 << 0,
  /** Record C_BAD_STREAMID events. */
  RECINVSID: 1 << 1,
  /** Private TLB maintenance (writable when IDR0.BTM == 1). */
  PTM: 1 << 2,
} as const;

/** SMMU_GBPA fields (§6.3.14). */
export const Gbpa = {
  /** Update completion flag: a write must set it; the model completes the update at once and clears it. */
  UPDATE: 0x8000_0000,
  /** Abort all incoming transactions while SMMUEN == 0. */
  ABORT: 1 << 20,
  /** Every defined field except Update: MemAttr [3:0], MTCFG [4], ALLOCCFG [11:8], SHCFG [13:12], PRIVCFG [17:16], INSTCFG [19:18], ABORT [20]. */
  FIELDS: 0x001f_3f1f,
} as const;

/** SMMU_GERROR / SMMU_GERRORN bits (§6.3.19). An error is active while GERROR[x] != GERRORN[x]. */
export const Gerror = {
  /** Command queue error: CMDQ_CONS.ERR holds the reason and command processing has stopped. */
  CMDQ_ERR: 1 << 0,
  /** An Event queue access was terminated with abort. */
  EVENTQ_ABT_ERR: 1 << 2,
  /** A PRI queue access was terminated with abort. */
  PRIQ_ABT_ERR: 1 << 3,
  /** A CMD_SYNC MSI was terminated with abort. */
  MSI_CMDQ_ABT_ERR: 1 << 4,
  /** An Event queue MSI was terminated with abort. */
  MSI_EVENTQ_ABT_ERR: 1 << 5,
  /** A PRI queue MSI was terminated with abort. */
  MSI_PRIQ_ABT_ERR: 1 << 6,
  /** A GERROR MSI was terminated with abort. */
  MSI_GERROR_ABT_ERR: 1 << 7,
  /** Service failure mode. */
  SFM_ERR: 1 << 8,
  /** Bits [8:0] except the reserved bit 1: the fields GERRORN stores. */
  FIELDS: 0x1fd,
} as const;

/** SMMU_CMDQ_CONS.ERR reason codes (§7.1). */
export const CmdqError = {
  /** No error (never reported). */
  CERROR_NONE: 0x00,
  /** Unknown opcode, or a valid command with an invalid parameter or a non-zero reserved field. */
  CERROR_ILL: 0x01,
  /** External abort on command fetch. */
  CERROR_ABT: 0x02,
  /** A CMD_SYNC failed to complete prior ATC invalidations (never raised: no ATS devices). */
  CERROR_ATC_INV_SYNC: 0x03,
} as const;

/** SMMU_CMDQ_CONS.ERR field position, bits [30:24]. */
export const CMDQ_CONS_ERR_SHIFT = 24;
/** Mask of a queue index register's index-and-wrap field, bits [19:0] (§6.3.27). */
export const QUEUE_INDEX_MASK = 0xf_ffff;
/** SMMU_EVENTQ_PROD.OVFLG / SMMU_EVENTQ_CONS.OVACKFLG, bit [31] (§7.4). */
export const QUEUE_OVERFLOW_FLAG = 0x8000_0000;

/** SMMU_STRTAB_BASE_CFG fields (§6.3.25). */
export const StrtabBaseCfg = {
  /** Bits [5:0]: log2 of the number of StreamIDs. */
  LOG2SIZE_MASK: 0x3f,
  /** Bits [10:6]: StreamID split point of a 2-level table. */
  SPLIT_SHIFT: 6,
  /** Bits [17:16]: 0 linear, 1 two-level. */
  FMT_SHIFT: 16,
  /** Every defined field. */
  FIELDS: 0x3_07ff,
} as const;

/** SMMU_IRQ_CTRL defined fields (§6.3.16). */
export const IRQ_CTRL_FIELDS = 0b111;
