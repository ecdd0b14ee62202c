/**
 * VT-d remapping-unit register offsets and the bit positions of the register fields the device model
 * implements (VT-d spec §10.4, "Register Descriptions"). Offsets are byte offsets from the unit's register
 * base. The IOTLB registers sit at ECAP.IRO × 16 and the fault recording registers at CAP.FRO × 16, so they
 * are not fixed here (see {@link iotlbRegisterOffset} and {@link faultRecordingOffset}).
 * @packageDocumentation
 */

/** Fixed register offsets (VT-d spec §10.4, register map table). */
export const VtdRegister = {
  /** VER_REG, 32-bit: Max [7:4], Min [3:0]. */
  VER: 0x000,
  /** CAP_REG, 64-bit capability register (read-only). */
  CAP: 0x008,
  /** ECAP_REG, 64-bit extended capability register (read-only). */
  ECAP: 0x010,
  /** GCMD_REG, 32-bit global command (write-only: reads return 0). */
  GCMD: 0x018,
  /** GSTS_REG, 32-bit global status (read-only). */
  GSTS: 0x01c,
  /** RTADDR_REG, 64-bit root table address: RTA [63:12], TTM [11:10]. */
  RTADDR: 0x020,
  /** CCMD_REG, 64-bit context command (register-based context-cache invalidation). */
  CCMD: 0x028,
  /** FSTS_REG, 32-bit fault status. */
  FSTS: 0x034,
  /** FECTL_REG, 32-bit fault event control: IM [31], IP [30]. */
  FECTL: 0x038,
  /** FEDATA_REG, 32-bit fault event interrupt data. */
  FEDATA: 0x03c,
  /** FEADDR_REG, 32-bit fault event interrupt address. */
  FEADDR: 0x040,
  /** FEUADDR_REG, 32-bit fault event interrupt upper address. */
  FEUADDR: 0x044,
  /** AFLOG_REG, 64-bit advanced fault log (storage only: advanced fault logging is not modelled). */
  AFLOG: 0x058,
  /** PMEN_REG, 32-bit protected memory enable (storage only). */
  PMEN: 0x064,
  /** PLMBASE_REG, 32-bit (storage only). */
  PLMBASE: 0x068,
  /** PLMLIMIT_REG, 32-bit (storage only). */
  PLMLIMIT: 0x06c,
  /** PHMBASE_REG, 64-bit (storage only). */
  PHMBASE: 0x070,
  /** PHMLIMIT_REG, 64-bit (storage only). */
  PHMLIMIT: 0x078,
  /** IQH_REG, 64-bit invalidation queue head: QH [18:4] (read-only). */
  IQH: 0x080,
  /** IQT_REG, 64-bit invalidation queue tail: QT [18:4]. Writing it makes hardware process the queue. */
  IQT: 0x088,
  /** IQA_REG, 64-bit invalidation queue address: IQA [63:12], DW [11], QS [2:0]. */
  IQA: 0x090,
  /** ICS_REG, 32-bit invalidation completion status: IWC [0] (RW1C). */
  ICS: 0x09c,
  /** IECTL_REG, 32-bit invalidation event control: IM [31], IP [30]. */
  IECTL: 0x0a0,
  /** IEDATA_REG, 32-bit invalidation event data. */
  IEDATA: 0x0a4,
  /** IEADDR_REG, 32-bit invalidation event address. */
  IEADDR: 0x0a8,
  /** IEUADDR_REG, 32-bit invalidation event upper address. */
  IEUADDR: 0x0ac,
  /** IQERCD_REG, 64-bit invalidation queue error record: IQEI [3:0] (read-only). */
  IQERCD: 0x0b0,
  /** IRTA_REG, 64-bit interrupt remapping table address (storage only: interrupt remapping is not modelled). */
  IRTA: 0x0b8,
  /** PQH_REG, 64-bit page request queue head (storage only). */
  PQH: 0x0c0,
  /** PQT_REG, 64-bit page request queue tail (storage only). */
  PQT: 0x0c8,
  /** PQA_REG, 64-bit page request queue address (storage only). */
  PQA: 0x0d0,
  /** PRS_REG, 32-bit page request status (storage only). */
  PRS: 0x0dc,
  /** PECTL_REG, 32-bit page request event control (storage only). */
  PECTL: 0x0e0,
  /** PEDATA_REG, 32-bit (storage only). */
  PEDATA: 0x0e4,
  /** PEADDR_REG, 32-bit (storage only). */
  PEADDR: 0x0e8,
  /** PEUADDR_REG, 32-bit (storage only). */
  PEUADDR: 0x0ec,
} as const;

/** Offset of IVA_REG (+0) for an ECAP.IRO value; IOTLB_REG is at +8 (VT-d spec §10.4, IOTLB registers). */
export function iotlbRegisterOffset(iro: number): number {
  return iro * 16;
}

/** Offset of fault recording register `index` (128 bits each) for a CAP.FRO value (VT-d spec §10.4, FRCD_REG). */
export function faultRecordingOffset(fro: number, index: number): number {
  return fro * 16 + index * 16;
}

/** GCMD_REG command bits (VT-d spec §10.4, GCMD_REG); bits 22:0 are reserved. */
export const Gcmd = {
  /** Translation Enable. */
  TE: 0x8000_0000,
  /** Set Root Table Pointer (one-shot: latches RTADDR_REG). */
  SRTP: 0x4000_0000,
  /** Set Fault Log (advanced fault logging; not modelled). */
  SFL: 0x2000_0000,
  /** Enable Advanced Fault Logging (not modelled). */
  EAFL: 0x1000_0000,
  /** Write Buffer Flush (one-shot). */
  WBF: 0x0800_0000,
  /** Queued Invalidation Enable. */
  QIE: 0x0400_0000,
  /** Interrupt Remapping Enable (status reflected; interrupt remapping is not modelled). */
  IRE: 0x0200_0000,
  /** Set Interrupt Remap Table Pointer (one-shot). */
  SIRTP: 0x0100_0000,
  /** Compatibility Format Interrupt. */
  CFI: 0x0080_0000,
} as const;

/** GSTS_REG status bits, one per GCMD bit in the same position (VT-d spec §10.4, GSTS_REG). */
export const Gsts = {
  /** Translation Enable Status. */
  TES: 0x8000_0000,
  /** Root Table Pointer Status: set once SRTP completed. */
  RTPS: 0x4000_0000,
  /** Fault Log Status. */
  FLS: 0x2000_0000,
  /** Advanced Fault Logging Status. */
  AFLS: 0x1000_0000,
  /** Write Buffer Flush Status (clear once the flush completed, i.e. always here). */
  WBFS: 0x0800_0000,
  /** Queued Invalidation Enable Status. */
  QIES: 0x0400_0000,
  /** Interrupt Remapping Enable Status. */
  IRES: 0x0200_0000,
  /** Interrupt Remapping Table Pointer Status. */
  IRTPS: 0x0100_0000,
  /** Compatibility Format Interrupt Status. */
  CFIS: 0x0080_0000,
} as const;

/** RTADDR_REG fields (VT-d spec §10.4, RTADDR_REG). Writable bits are 63:10. */
export const Rtaddr = {
  /** Bits software can write: RTA [63:12] and TTM [11:10]. */
  WRITE_MASK: 0xffff_ffff_ffff_fc00n,
  /** TTM field position. */
  TTM_SHIFT: 10,
} as const;

/** CCMD_REG fields (VT-d spec §10.4, CCMD_REG). */
export const Ccmd = {
  /** DID [15:0]. */
  DID_SHIFT: 0,
  /** SID [31:16]. */
  SID_SHIFT: 16,
  /** FM [33:32]. */
  FM_SHIFT: 32,
  /** CAIG [60:59]: actual granularity, written by hardware. */
  CAIG_SHIFT: 59,
  /** CIRG [62:61]: requested granularity (1 global, 2 domain, 3 device). */
  CIRG_SHIFT: 61,
  /** ICC [63]: invalidate context cache; hardware clears it when done. */
  ICC: 1n << 63n,
  /** Writable bits: DID, SID, FM, CIRG, ICC. */
  WRITE_MASK: 0xe000_0003_ffff_ffffn,
} as const;

/** IOTLB_REG fields (at ECAP.IRO × 16 + 8; VT-d spec §10.4, IOTLB_REG). */
export const IotlbReg = {
  /** DID [47:32]. */
  DID_SHIFT: 32,
  /** DW [48]: drain writes. */
  DW_SHIFT: 48,
  /** DR [49]: drain reads. */
  DR_SHIFT: 49,
  /** IAIG [58:57]: actual granularity, written by hardware. */
  IAIG_SHIFT: 57,
  /** IIRG [61:60]: requested granularity (1 global, 2 domain, 3 page within domain). */
  IIRG_SHIFT: 60,
  /** IVT [63]: invalidate IOTLB; hardware clears it when done. */
  IVT: 1n << 63n,
  /** Writable bits: DID, DW, DR, IIRG, IVT. */
  WRITE_MASK: 0xb003_ffff_0000_0000n,
} as const;

/** IVA_REG fields (at ECAP.IRO × 16; VT-d spec §10.4, IVA_REG). */
export const IvaReg = {
  /** AM [5:0]: address mask (2^AM pages). */
  AM_MASK: 0x3f,
  /** IH [6]: invalidation hint (leaf-only). */
  IH: 0x40,
  /** Writable bits: ADDR [63:12], IH, AM. */
  WRITE_MASK: 0xffff_ffff_ffff_f07fn,
} as const;

/** FSTS_REG bits (VT-d spec §10.4, FSTS_REG). */
export const Fsts = {
  /** Primary Fault Overflow (RW1C). */
  PFO: 0x01,
  /** Primary Pending Fault (read-only: OR of every fault recording register's F). */
  PPF: 0x02,
  /** Advanced Fault Overflow (RW1C; never set here). */
  AFO: 0x04,
  /** Advanced Pending Fault (RW1C; never set here). */
  APF: 0x08,
  /** Invalidation Queue Error (RW1C). */
  IQE: 0x10,
  /** Invalidation Completion Error (RW1C; never set: no device-TLB is modelled). */
  ICE: 0x20,
  /** Invalidation Time-out Error (RW1C; never set). */
  ITE: 0x40,
  /** Fault Record Index [15:8] (read-only). */
  FRI_SHIFT: 8,
  /** The write-1-to-clear bits. */
  RW1C: 0x7d,
} as const;

/** FECTL_REG / IECTL_REG / PECTL_REG bits (VT-d spec §10.4). */
export const EventControl = {
  /** Interrupt Mask (read-write; set at reset). */
  IM: 0x8000_0000,
  /** Interrupt Pending (read-only). */
  IP: 0x4000_0000,
} as const;

/** IQA_REG fields (VT-d spec §10.4, IQA_REG). */
export const Iqa = {
  /** QS [2:0]: the queue is 2^QS 4 KiB pages. */
  QS_MASK: 0x7,
  /** DW [11]: 1 for 256-bit descriptors (needs ECAP.SMTS), 0 for 128-bit. */
  DW: 0x800,
  /** Writable bits: IQA [63:12], DW, QS. */
  WRITE_MASK: 0xffff_ffff_ffff_f807n,
} as const;

/** IQH_REG / IQT_REG: the QH / QT field [18:4], a byte offset into the queue. */
export const QUEUE_POINTER_MASK = 0x7fff0;

/** ICS_REG.IWC: invalidation wait descriptor complete (RW1C). */
export const ICS_IWC = 0x1;

/** IQERCD_REG.IQEI values: why the last IQE was raised (VT-d spec §10.4, IQERCD_REG). */
export const QueueErrorInfo = {
  /** No information. */
  NONE: 0,
  /** The tail pointer lies beyond the queue (IQT ≥ queue size). */
  INVALID_TAIL: 1,
  /** Reading the descriptor failed. */
  FETCH_ERROR: 2,
  /** Unknown or unsupported descriptor type. */
  INVALID_TYPE: 3,
  /** Reserved field set in a descriptor. */
  RESERVED_FIELD: 4,
  /** The descriptor is of a width the current mode does not allow. */
  INVALID_WIDTH: 5,
  /** IQT not aligned to a 256-bit descriptor while IQA.DW = 1 (QT[4] set). */
  TAIL_MISALIGNED: 6,
} as const;

/** Invalidation granularity encodings shared by CCMD CIRG/CAIG and IOTLB IIRG/IAIG (VT-d spec §10.4). */
export const RegisterGranularity = {
  /** 00b: reserved / no invalidation performed. */
  NONE: 0,
  /** 01b: global. */
  GLOBAL: 1,
  /** 10b: domain-selective. */
  DOMAIN: 2,
  /** 11b: device-selective (CCMD) or page-selective-within-domain (IOTLB). */
  SELECTIVE: 3,
} as const;
