/**
 * The page-table format contract, in the style of Linux io-pgtable / generic_pt: a vendor describes one
 * radix-tree format (levels, index bits, how an entry decodes and encodes) and core's single walker and
 * single builder do the rest. A format *instance* is fully parameterised (granule, start level, output
 * size, permission-model switches such as WPE or AFFD) so the hot path never re-reads configuration.
 *
 * Depths count from the root (0) down; `archLevels` gives each depth the architecture's own level number
 * (VMSAv8-64: start level + depth; VT-d: number of levels − depth) for fault reports and traces.
 * @packageDocumentation
 */
import type { U64 } from '../u64';

/** Bits of an access request (combine with `|`). */
export const Access = {
  /** Read (SMMUv3 RnW = 1; VT-d read request). */
  READ: 1,
  /** Write. */
  WRITE: 2,
  /** Instruction fetch / execute request. */
  EXEC: 4,
  /** Privileged (SMMUv3 PnU = 1; VT-d supervisor request, PR = 1). */
  PRIV: 8,
} as const;

/**
 * Permission mask bits: what a translation allows, per privilege. Stage-2 formats, which know no privilege,
 * grant the same bits to both.
 */
export const Perm = {
  /** Unprivileged (user) read. */
  UR: 1,
  /** Unprivileged (user) write. */
  UW: 2,
  /** Unprivileged (user) execute. */
  UX: 4,
  /** Privileged (supervisor) read. */
  PR: 8,
  /** Privileged (supervisor) write. */
  PW: 16,
  /** Privileged (supervisor) execute. */
  PX: 32,
  /** Everything. */
  ALL: 63,
} as const;

/** The permission bits an access needs: e.g. a privileged write needs `Perm.PW`. */
export function permissionNeeded(access: number): number {
  let need = 0;
  if (access & Access.READ) need |= Perm.UR;
  if (access & Access.WRITE) need |= Perm.UW;
  if (access & Access.EXEC) need |= Perm.UX;
  return access & Access.PRIV ? need << 3 : need;
}

/** How a descriptor classifies structurally. */
export const EntryKind = {
  /** Not valid / not present: a translation fault if the walk needs it. */
  INVALID: 0,
  /** Points to a next-level table. */
  TABLE: 1,
  /** Maps a block or page. */
  LEAF: 2,
  /** Decoding found a fault (reserved bits, access flag, permission, address size); see {@link WalkState.fault}. */
  FAULT: 3,
} as const;
/** One of {@link EntryKind}'s values. */
export type EntryKindValue = (typeof EntryKind)[keyof typeof EntryKind];

/**
 * Why a walk stopped. Vendors map these (with stage, level and whether it happened on a table fetch) to
 * their architected codes: e.g. SMMUv3 F_TRANSLATION / F_ACCESS / F_PERMISSION / F_ADDR_SIZE /
 * F_WALK_EABT; VT-d 0x71 / 0x72 / 0x70 / 0x81…
 */
export type FaultKind =
  /** Descriptor not valid (or a descriptor type that is reserved at that level). */
  | 'translation'
  /** Reserved bits set in a descriptor. */
  | 'reserved'
  /** Access flag clear with hardware AF update disabled (SMMUv3 F_ACCESS). */
  | 'access'
  /** The access is not permitted; {@link WalkState.faultDetail} says which right was missing. */
  | 'permission'
  /** An output or next-table address beyond the output size (SMMUv3 F_ADDR_SIZE; VT-d beyond HAW). */
  | 'addressSize'
  /** The input address is outside the range the tables translate. */
  | 'inputRange'
  /** A descriptor read or write hit unbacked memory. */
  | 'externalAbort';

/** What a permission fault lacked, for vendors with distinct codes (VT-d 0x81 / 0x82 / 0x85 / 0x86). */
export type PermissionDetail = 'read' | 'write' | 'exec' | 'user' | 'supervisor' | 'update' | '';

/** Generic mapping attributes for {@link PageTableFormat.encodeLeaf}. */
export interface MapProt {
  /** Allow reads. */
  read?: boolean;
  /** Allow writes. */
  write?: boolean;
  /** Allow execution (clears XN/XD where the format has it). */
  exec?: boolean;
  /** Stage 1: accessible to unprivileged requests (ARM AP[1] = 1, VT-d U/S = 1). */
  user?: boolean;
  /** Stage 1: deny privileged execution (ARM PXN). */
  privExecNever?: boolean;
  /** Stage 1: global entry (ARM nG = 0); defaults to true. */
  global?: boolean;
  /** Pre-set the access flag (ARM AF / VT-d A); defaults to true. */
  accessed?: boolean;
  /** Pre-set the dirty flag (VT-d D). */
  dirty?: boolean;
  /** Memory attribute index (ARM AttrIndx / S2 MemAttr); format-defined. */
  attrIndex?: number;
}

/**
 * Per-walk scratch, reused across walks so the hot path allocates nothing. The walker resets it; formats
 * read and write it while decoding.
 */
export class WalkState {
  /** TABLE: next-level table address. LEAF: output address of the block or page. */
  next = 0;
  /** LEAF: log2 of the block or page size. */
  leafShift = 0;
  /** LEAF: permissions granted ({@link Perm} bits), after all table-level restrictions. */
  permitted = 0;
  /** LEAF: permissions a TLB may cache; a format clears bits whose use still needs a walk (a D update). */
  cachePermitted = 0;
  /** LEAF: format-defined attributes (memory type, shareability). */
  attrs = 0;
  /** LEAF: the entry is global (not tagged by ASID/PASID). */
  global = true;
  /** FAULT: why. */
  fault: FaultKind = 'translation';
  /** FAULT: detail for permission faults. */
  faultDetail: PermissionDetail = '';
  /** Bits the format wants set in the entry just decoded (A/D updates), high and low halves. */
  setHi = 0;
  /** See {@link WalkState.setHi}. */
  setLo = 0;
  /** Format-defined accumulators carried down the walk (APTable, U/S, R/W…); zero at the root. */
  acc0 = 0;
  /** Second format-defined accumulator. */
  acc1 = 0;
  /** Depth the walk stopped at (leaf or fault). */
  depth = 0;
  /** Address of the last descriptor read (in this stage's table address space). */
  entryAddress = 0;
  /** Value of the last descriptor read. */
  entry: U64 = { hi: 0, lo: 0 };
  /** Final output address of a successful walk. */
  output = 0;

  /** Prepares for a new walk. */
  reset(): void {
    this.acc0 = 0;
    this.acc1 = 0;
    this.setHi = 0;
    this.setLo = 0;
    this.global = true;
    this.attrs = 0;
    this.faultDetail = '';
    this.fault = 'translation';
  }
}

/** One radix page-table format instance. */
export interface PageTableFormat {
  /** Human-readable name, e.g. `VMSAv8-64 stage 1, 4K granule, start level 0`. */
  readonly name: string;
  /** Number of levels walked (depth 0 is the root). */
  readonly levels: number;
  /** Input address width: inputs at or above 2^inputBits give an `inputRange` fault. */
  readonly inputBits: number;
  /** Output address width: outputs and table addresses at or above 2^outputBits are the format's to check. */
  readonly outputBits: number;
  /** log2 of the size one entry covers, per depth. */
  readonly shifts: readonly number[];
  /** Index bits per depth (the root may have more, for concatenated tables). */
  readonly indexBits: readonly number[];
  /** Architectural level number per depth. */
  readonly archLevels: readonly number[];
  /** Depths at which a leaf (block or page) may be mapped. */
  readonly leafDepths: readonly boolean[];
  /** log2 of the smallest page. */
  readonly granuleShift: number;

  /** Structural class of an entry: {@link EntryKind}.INVALID, TABLE or LEAF (no checks, no faults). */
  classify(hi: number, lo: number, depth: number): EntryKindValue;
  /** The table or output address held in a TABLE or LEAF entry. */
  address(hi: number, lo: number, depth: number): number;
  /**
   * Decodes an entry for a walk: checks reserved bits, addresses, access flags and permissions for `access`
   * (an {@link Access} mask), updates `state` (next / leafShift / permitted / accumulators / setHi,setLo)
   * and returns the kind. A FAULT return sets `state.fault` (and `faultDetail`).
   */
  decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue;
  /** Encodes a table entry pointing at `next` into `out`. */
  encodeTable(next: number, depth: number, out: U64): void;
  /** Encodes a leaf mapping `output` at `depth` into `out`. */
  encodeLeaf(output: number, depth: number, prot: MapProt, out: U64): void;
  /**
   * Re-encodes a leaf at `depth` as a leaf one level down with the same attributes and the output address
   * `output` (used to split a block on a partial unmap).
   */
  splitLeaf(hi: number, lo: number, depth: number, output: number, out: U64): void;
}

/** Size in bytes of the table at `depth` (8-byte entries). */
export function tableBytes(format: PageTableFormat, depth: number): number {
  return 8 * 2 ** format.indexBits[depth]!;
}

/** Index of `input` into the table at `depth`. */
export function tableIndex(format: PageTableFormat, input: number, depth: number): number {
  const shifted = Math.floor(input / 2 ** format.shifts[depth]!);
  return shifted % 2 ** format.indexBits[depth]!;
}
