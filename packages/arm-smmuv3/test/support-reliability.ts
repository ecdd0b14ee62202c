/**
 * Support for the SMMUv3 reliability tests (the "malformed input matrix"): SMMU capability profiles, a
 * world of stream-table entries, CDs and page tables laid out so that any one-bit change of a pointer lands
 * on memory that holds nothing (or on nothing at all), an independent reference SMMU that reads the same
 * memory, one-bit flips enumerated from the structures' layouts, and a comparable summary of a translation's
 * outcome.
 *
 * The reference is written from the reference notes (/work/shared/reference/arm-smmuv3.md) and the Arm
 * pseudocode, not from the model: SteIllegal() and CdIllegal() rules in the model's scope, the S1DSS table,
 * the CD-table formats, and 4 KB-granule VMSAv8-64 walks (stage 1, stage 2, nested) with the fault order
 * Translation → Address size → Access flag → Permission. It is slow (bigint descriptors) and only as wide
 * as these tests need: 4 KB granules, AArch64 tables, Non-secure streams, SMMU_CR2.E2H = 0.
 */
import { Access, PageTableBuilder, read64Big, type FieldSpec, type PhysicalMemory, type StructureSpec, type TableAllocator } from '@viommu/core';
import {
  CD,
  DEFAULT_SMMU_CAPABILITIES,
  EVENT_LAYOUTS,
  L1CD,
  STE,
  decodeCapabilities,
  encodeIdRegisters,
  type EventName,
  type SmmuCapabilities,
  type SmmuCapabilityFields,
} from '../src/structures/index';
import { DEFAULT_MODEL_IDR0, type SmmuTransaction, type SmmuTranslateResult } from '../src/model/index';
import { createStage1Format, createStage2Format } from '../src/vmsa/index';
import { Fixture } from './model-fixture';

// ---------------------------------------------------------------------------------------------------------
// Capability profiles
// ---------------------------------------------------------------------------------------------------------

/** One SMMU implementation the matrix runs on. */
export interface Profile {
  readonly name: string;
  readonly idr0: number;
  readonly idr1: number;
  readonly idr5: number;
  readonly caps: SmmuCapabilities;
}

function profile(name: string, fields: SmmuCapabilityFields): Profile {
  const idr = encodeIdRegisters(fields);
  return { name, ...idr, caps: decodeCapabilities(idr) };
}

const MODEL_DEFAULT_FIELDS: SmmuCapabilityFields = decodeCapabilities({ ...encodeIdRegisters(DEFAULT_SMMU_CAPABILITIES), idr0: DEFAULT_MODEL_IDR0 });

/**
 * The model's default SMMU (HTTU = Access flag only, ATS, Hyp, 16-bit ASIDs/VMIDs, 2-level CD tables, stall
 * and terminate models, little-endian walks, 48-bit OAS) reduced to the 4 KB granule, so that a flipped
 * S2TG/TG0/TG1 is an unsupported granule (C_BAD_STE / C_BAD_CD) rather than a legal reinterpretation.
 */
export const FULL = profile('full', { ...MODEL_DEFAULT_FIELDS, gran16k: false, gran64k: false });

/**
 * A small SMMU: no HTTU, no ATS, no Hyp, 8-bit ASIDs and VMIDs, linear CD tables only, terminate model only
 * (STALL_MODEL = 0b01) with TERM_MODEL = 1, 8-bit SubstreamIDs: every capability-dependent ILLEGAL rule that
 * FULL allows fires here.
 */
export const MINIMAL = profile('minimal', {
  ...FULL.caps,
  httu: 0,
  ats: false,
  pri: false,
  hyp: false,
  asid16: false,
  vmid16: false,
  cd2l: false,
  stallModel: 1,
  termModel: 1,
  ssidSize: 8,
});

/**
 * The model's own default SMMU (all three granules): the reference does not cover it (it walks 4 KB tables
 * only), so the garbage tests use it for their invariants alone.
 */
export const MODEL_DEFAULT = profile('model-default', MODEL_DEFAULT_FIELDS);

/** FULL without stage 2 (IDR0.S2P = 0): Config 0b11x is ILLEGAL and S2VMID is ignored. */
export const STAGE1_ONLY = profile('stage-1-only', { ...FULL.caps, s2p: false });

/** A profile like `base` with some capabilities changed. */
export function variant(name: string, base: Profile, changes: Partial<SmmuCapabilityFields>): Profile {
  return profile(name, { ...base.caps, ...changes });
}

/** SMMU_IDR3 features the model enables by default and the reference honours: HAD [2], E0PD [13]. */
const IDR3_HAD = true;
const IDR3_E0PD = true;

// ---------------------------------------------------------------------------------------------------------
// A world whose pointers have no single-bit neighbours
// ---------------------------------------------------------------------------------------------------------

/** Guest window: CD tables and stage-1 tables (identity-mapped by stage 2, so their IPAs are their PAs). */
export const WIN_A = 0x2000_0000;
/** Host window: stage-2 tables. Differs from WIN_A in two bits (26, 27), so no one-bit flip crosses over. */
export const WIN_B = 0x2c00_0000;
/** Each window is 2^WIN_BITS bytes of 4 KB slots. */
export const WIN_BITS = 20;
/** Data page a stage-1 page maps (PA, or through stage 2 for nested streams). */
export const DATA_PA = 0x3400_0000;
/** The IPA of DATA_PA in nested streams. */
export const DATA_IPA = 0x5000_0000;
/** A 2 MB block: VA, PA and IPA. */
export const BLOCK_VA = 0x20_0000;
export const BLOCK_PA = 0x3420_0000;
export const BLOCK_IPA = 0x5020_0000;
/** A 1 GB stage-1 block (stage-1-only streams): VA and PA (beyond backed memory: never read). */
export const GIGA_VA = 0x4000_0000;
export const GIGA_PA = 0x1_0000_0000;
/** The TTB1 alias of VA 0 with T1SZ = 16. */
export const TTB1_VA0 = 0xffff_0000_0000_0000n;

function parity(n: number): number {
  let p = 0;
  for (let x = n; x !== 0; x >>>= 1) p ^= x & 1;
  return p;
}

/**
 * Hands out whole 4 KB slots of a window at base + c × 4 KB for the even-parity c only (0, 3, 5, 6, 9, …):
 * two slots always differ in at least two address bits, so a pointer to one slot with one bit flipped never
 * reaches another; bits above the window move it out of every window.
 */
export class ParityAllocator implements TableAllocator {
  private next = 0;
  readonly slots: number[] = [];

  constructor(
    readonly memory: PhysicalMemory,
    readonly base: number,
  ) {}

  allocate(size: number, align = 4096): number {
    if (size > 4096 || align > 4096) throw new Error(`ParityAllocator hands out 4 KB slots, not ${size} bytes aligned to ${align}`);
    while (parity(this.next) !== 0) this.next++;
    if (this.next >= 2 ** (WIN_BITS - 12)) throw new Error('window full');
    const a = this.base + this.next * 4096;
    this.next++;
    if (!this.memory.writeBytes(a, new Uint8Array(4096))) throw new Error('window not backed');
    this.slots.push(a);
    return a;
  }

  free(): void {}
}

/** Read-write, EL0-accessible stage-1 mapping (AP = 0b01); a stage-2 RW mapping. */
const RW = { read: true, write: true, user: true } as const;

/** StreamIDs of the world's streams. */
export const Sid = {
  /** Config 0b101, single CD (both halves enabled). */
  S1: 1,
  /** Config 0b111, single CD. */
  NESTED: 2,
  /** Config 0b111 with substreams (FULL: 2-level 4 KB CD table, S1CDMax 8; MINIMAL: linear, S1CDMax 4), S1DSS = Substream0. */
  NESTED_SS: 3,
  /** Config 0b110. */
  S2: 4,
  /** Config 0b100. */
  BYPASS: 5,
  /** As S1 with CD.AFFD = 1. */
  S1_AFFD: 6,
  /** As S1 with CD.HA = 1 (HTTU profiles only). */
  S1_HA: 7,
  /** As S2 with STE.S2AFFD = 1. */
  S2_AFFD: 8,
  /** As S2 with STE.S2HA = 1 (HTTU profiles only). */
  S2_HA: 9,
} as const;

/** The stream table as the reference sees it. */
export interface RefStreamTable {
  readonly format: 'linear' | '2-level';
  readonly base: number;
  readonly log2Size: number;
  readonly split: number;
}

/** A built world: an SMMU (fixture) with every stream of {@link Sid} programmed. */
export interface World {
  readonly profile: Profile;
  readonly fx: Fixture;
  readonly table: RefStreamTable;
  /** STE address per StreamID. */
  readonly ste: ReadonlyMap<number, number>;
  /** CD addresses (PAs; equal to their IPAs for nested streams) per StreamID, CD 0 (and CD 5 for NESTED_SS). */
  readonly cd: ReadonlyMap<number, number[]>;
  /** The L1CD table of NESTED_SS (FULL only). */
  readonly l1cd: number | undefined;
  readonly s1Pa: PageTableBuilder;
  readonly s1Ipa: PageTableBuilder;
  readonly s2: PageTableBuilder;
  /** Every slot handed out in each window. */
  readonly slots: readonly number[];
}

/** CD fields of the world's CDs: 48-bit VAs both halves (T0SZ = T1SZ = 16, TTB0 = TTB1), 40-bit IPS. */
export function worldCdFields(p: Profile, root: number, extra: Parameters<typeof CD.encode>[0] = {}): Parameters<typeof CD.encode>[0] {
  return {
    V: 1,
    AA64: 1,
    T0SZ: 16,
    TG0: 0,
    T1SZ: 16,
    TG1: 2,
    IPS: 2,
    TTB0: BigInt(root),
    TTB1: BigInt(root),
    ASID: 5,
    R: 1,
    A: 1,
    S: p.caps.stallModel === 0 ? 1 : 0,
    ...extra,
  };
}

/** STE stage-2 fields of the world: 40-bit IPA from level 0 (S2T0SZ 24, S2SL0 2), 40-bit S2PS. */
export function worldS2Fields(p: Profile, root: number, extra: Parameters<typeof STE.encode>[0] = {}): Parameters<typeof STE.encode>[0] {
  return {
    S2VMID: 3,
    S2T0SZ: 24,
    S2SL0: 2,
    S2TG: 0,
    S2PS: 2,
    S2AA64: 1,
    S2R: 1,
    S2S: p.caps.stallModel === 0 ? 1 : 0,
    S2TTB: BigInt(root),
    ...extra,
  };
}

/** Builds the world on a fresh SMMU of profile `p`. */
export function buildWorld(p: Profile, fixtureOptions: ConstructorParameters<typeof Fixture>[0] = {}): World {
  const fx = new Fixture({ idr0: p.idr0, idr1: p.idr1, idr5: p.idr5, ...fixtureOptions });
  const split = fixtureOptions.split;
  const a = new ParityAllocator(fx.mem, WIN_A);
  const b = new ParityAllocator(fx.mem, WIN_B);
  // Slot 0 of the guest window (aligned to the whole window) holds the substream CD table, so that a larger
  // S1CDMax keeps it where it is.
  const ssTable = a.allocate(4096);
  const s2 = new PageTableBuilder(createStage2Format({ granuleBits: 12, t0sz: 24, sl0: 2, outputBits: 40, oasBits: 48 }), fx.mem, b);
  s2.map(WIN_A, WIN_A, 2 ** WIN_BITS, { read: true, write: true });
  s2.map(DATA_IPA, DATA_PA, 0x1000, { read: true, write: true });
  s2.map(BLOCK_IPA, BLOCK_PA, 0x20_0000, { read: true, write: true });
  const s1Format = () => createStage1Format({ granuleBits: 12, tsz: 16, outputBits: 40, oasBits: 48 });
  const s1Pa = new PageTableBuilder(s1Format(), fx.mem, a);
  s1Pa.map(0, DATA_PA, 0x1000, RW);
  s1Pa.map(BLOCK_VA, BLOCK_PA, 0x20_0000, RW);
  s1Pa.map(GIGA_VA, GIGA_PA, 0x4000_0000, RW);
  const s1Ipa = new PageTableBuilder(s1Format(), fx.mem, a);
  s1Ipa.map(0, DATA_IPA, 0x1000, RW);
  s1Ipa.map(BLOCK_VA, BLOCK_IPA, 0x20_0000, RW);

  const ste = new Map<number, number>();
  const cd = new Map<number, number[]>();
  const put = (sid: number, fields: Parameters<typeof STE.encode>[0]) => ste.set(sid, fx.writeSte(sid, fields));
  const newCd = (root: number, extra: Parameters<typeof CD.encode>[0] = {}) => {
    const at = a.allocate(4096);
    fx.writeStruct(at, CD.encode(worldCdFields(p, root, extra)));
    return at;
  };
  const httu = p.caps.httu !== 0;
  let l1cd: number | undefined;

  const cdS1 = newCd(s1Pa.root);
  put(Sid.S1, { V: 1, Config: 5, S1ContextPtr: BigInt(cdS1) });
  cd.set(Sid.S1, [cdS1]);
  const cdAffd = newCd(s1Pa.root, { AFFD: 1 });
  put(Sid.S1_AFFD, { V: 1, Config: 5, S1ContextPtr: BigInt(cdAffd) });
  cd.set(Sid.S1_AFFD, [cdAffd]);
  if (httu) {
    const cdHa = newCd(s1Pa.root, { HA: 1 });
    put(Sid.S1_HA, { V: 1, Config: 5, S1ContextPtr: BigInt(cdHa) });
    cd.set(Sid.S1_HA, [cdHa]);
  }
  if (p.caps.s2p) {
    const cdNested = newCd(s1Ipa.root);
    put(Sid.NESTED, { V: 1, Config: 7, S1ContextPtr: BigInt(cdNested), ...worldS2Fields(p, s2.root) });
    cd.set(Sid.NESTED, [cdNested]);

    // Substreams: CD 0 (Substream0 traffic) and CD 5.
    const cdWords = CD.encode(worldCdFields(p, s1Ipa.root));
    let cd0: number;
    if (p.caps.cd2l) {
      l1cd = ssTable;
      const l2 = a.allocate(4096);
      fx.writeStruct(l1cd, L1CD.encode({ V: 1, L2Ptr: BigInt(l2) }));
      cd0 = l2;
      put(Sid.NESTED_SS, { V: 1, Config: 7, S1Fmt: 1, S1CDMax: 8, S1DSS: 2, S1ContextPtr: BigInt(l1cd), ...worldS2Fields(p, s2.root) });
    } else {
      cd0 = ssTable;
      put(Sid.NESTED_SS, { V: 1, Config: 7, S1Fmt: 0, S1CDMax: 4, S1DSS: 2, S1ContextPtr: BigInt(ssTable), ...worldS2Fields(p, s2.root) });
    }
    fx.writeStruct(cd0, cdWords);
    fx.writeStruct(cd0 + 5 * 64, cdWords);
    cd.set(Sid.NESTED_SS, [cd0, cd0 + 5 * 64]);

    put(Sid.S2, { V: 1, Config: 6, ...worldS2Fields(p, s2.root) });
    put(Sid.S2_AFFD, { V: 1, Config: 6, ...worldS2Fields(p, s2.root, { S2AFFD: 1 }) });
    if (httu) put(Sid.S2_HA, { V: 1, Config: 6, ...worldS2Fields(p, s2.root, { S2HA: 1 }) });
  }
  put(Sid.BYPASS, { V: 1, Config: 4 });
  return {
    profile: p,
    fx,
    table: { format: split === undefined ? 'linear' : '2-level', base: 0x10_0000, log2Size: fixtureOptions.log2Size ?? 8, split: split ?? 6 },
    ste,
    cd,
    l1cd,
    s1Pa,
    s1Ipa,
    s2,
    slots: [...a.slots, ...b.slots],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------------------

/** Event-record fields the comparisons look at (each only where the event type defines it). */
const KEY_FIELDS = ['StreamID', 'SSV', 'SubstreamID', 'S2', 'CLASS', 'IPA', 'FetchAddr', 'RnW', 'PnU', 'InD', 'TTRnW', 'InputAddr'] as const;

/** What a translation did, in a form `toEqual` compares with a readable diff. */
export type Outcome =
  | { readonly ok: true; readonly output: number; readonly ipa: number }
  | { readonly ok: false; readonly event: string; readonly fields: Readonly<Record<string, number | bigint>> }
  | { readonly ok: false; readonly silent: string };

/** The outcome of a model translation. */
export function outcomeOf(r: SmmuTranslateResult): Outcome {
  if (r.ok) return { ok: true, output: r.output, ipa: r.ipa };
  if (!r.event) return { ok: false, silent: r.abort ?? 'unknown' };
  if (r.event.name === 'UNKNOWN') return { ok: false, event: `UNKNOWN 0x${r.event.code.toString(16)}`, fields: {} };
  const all = r.event.fields as Record<string, number | bigint>;
  const fields: Record<string, number | bigint> = {};
  for (const k of KEY_FIELDS) if (k in all) fields[k] = all[k]!;
  return { ok: false, event: r.event.name, fields };
}

/** Event fields the reference fills in; the rest come from the transaction. */
interface RefEventDetail {
  s2?: boolean;
  cls?: number;
  ipa?: number;
  fetchAddr?: number;
  substreamId?: number;
  ttrnw?: boolean;
}

/** A transaction with its address as a bigint and its attributes decoded. */
interface RefTxn {
  readonly sid: number;
  readonly ssv: boolean;
  readonly ssid: number;
  readonly address: bigint;
  readonly write: boolean;
  readonly priv: boolean;
  readonly instr: boolean;
}

function refTxn(t: SmmuTransaction): RefTxn {
  const write = (t.access & Access.WRITE) !== 0;
  return {
    sid: t.streamId,
    ssv: t.substreamId !== undefined,
    ssid: t.substreamId ?? 0,
    address: BigInt.asUintN(64, BigInt(t.address)),
    write,
    priv: (t.access & Access.PRIV) !== 0,
    instr: !write && (t.access & Access.EXEC) !== 0,
  };
}

function eventOutcome(name: EventName, t: RefTxn, d: RefEventDetail = {}): Outcome {
  const values: Record<string, number | bigint> = {
    StreamID: t.sid,
    SSV: t.ssv ? 1 : 0,
    SubstreamID: d.substreamId ?? (t.ssv ? t.ssid : 0),
    S2: d.s2 ? 1 : 0,
    CLASS: d.cls ?? 0,
    IPA: d.ipa === undefined ? 0 : Math.floor(d.ipa / 4096) * 4096,
    FetchAddr: d.fetchAddr === undefined ? 0n : BigInt(Math.floor(d.fetchAddr / 8) * 8),
    RnW: t.write ? 0 : 1,
    PnU: t.priv ? 1 : 0,
    InD: t.instr ? 1 : 0,
    TTRnW: d.ttrnw ? 1 : 0,
    InputAddr: t.address,
  };
  const names = new Set(EVENT_LAYOUTS[name].spec.fields.map((f) => f.name));
  const fields: Record<string, number | bigint> = {};
  for (const k of KEY_FIELDS) if (names.has(k)) fields[k] = values[k]!;
  return { ok: false, event: name, fields };
}

/** The event name of an outcome ('ok' or the silent reason otherwise). */
export function outcomeName(o: Outcome): string {
  return o.ok ? 'ok' : 'event' in o ? o.event : `silent:${o.silent}`;
}

// ---------------------------------------------------------------------------------------------------------
// The reference SMMU
// ---------------------------------------------------------------------------------------------------------

const ADDRESS_SIZE = [32, 36, 40, 42, 44, 48, 52, 56];
const CLS_CD = 0;
const CLS_TT = 1;
const CLS_IN = 2;

/** Thrown inside the reference to end the translation with an outcome. */
class Stop {
  constructor(readonly outcome: Outcome) {}
}

interface RefS2 {
  readonly root: number;
  readonly inputBits: number;
  readonly startLevel: number;
  readonly outBits: number;
  readonly affd: boolean;
  readonly ha: boolean;
  /** S2PTW applies (S2PTW = 1, S2FWB = 0, stage 1 enabled). */
  readonly ptw: boolean;
}

interface RefHalf {
  readonly root: number;
  readonly inputBits: number;
  readonly startLevel: number;
  readonly tbi: boolean;
  readonly had: boolean;
  readonly e0pd: boolean;
}

interface RefCd {
  readonly halves: readonly [RefHalf | undefined, RefHalf | undefined];
  readonly outBits: number;
  readonly affd: boolean;
  readonly ha: boolean;
  readonly pan: boolean;
}

interface RefSte {
  readonly kind: 'bypass' | 's1' | 's2' | 'nested';
  readonly el2: boolean;
  readonly s1?: {
    readonly ptr: number;
    readonly cdMax: number;
    readonly substreams: boolean;
    readonly format: 'single' | 'linear' | '2l4k' | '2l64k';
    readonly s1dss: number;
    readonly stallDisable: boolean;
  };
  readonly s2?: RefS2;
}

/**
 * STE fields the reference does not look at, each with the reason the architecture (or the model's stated
 * scope) lets an SMMU ignore it for a Non-secure stream on these profiles. Every STE field is either read by
 * {@link refSte} or listed here; a new field must be classified before the tests pass.
 */
export const STE_IGNORED: Readonly<Record<string, string>> = {
  S1CIR: 'CD fetch attributes', S1COR: 'CD fetch attributes', S1CSH: 'CD fetch attributes',
  S2HWU59: 'PBHA (IDR3.PBHA = 0)', S2HWU60: 'PBHA', S2HWU61: 'PBHA', S2HWU62: 'PBHA',
  DRE: 'read attribute only', CONT: 'a hint', DCP: 'prefetch hint', PPAR: 'PRI responses', MEV: 'event merging',
  SW_RESERVED: 'software use', S1PIE: 'RES0 without IDR3.S1PI', S2FWB: 'memory attributes (and S2PTW, not set here)',
  S1MPAM: 'MPAM', MemAttr: 'attribute override', MTCFG: 'attribute override', ALLOCCFG: 'attribute override',
  SHCFG: 'attribute override', NSCFG: 'Secure streams only',
  PRIVCFG: 'IDR1.ATTR_PERMS_OVR = 0 on every profile', INSTCFG: 'IDR1.ATTR_PERMS_OVR = 0 on every profile',
  IMPDEF_W1: 'IMPLEMENTATION DEFINED', IMPDEF_W2: 'IMPLEMENTATION DEFINED', IMPDEF_W4: 'IMPLEMENTATION DEFINED',
  S2IR0: 'walk attributes', S2OR0: 'walk attributes', S2SH0: 'walk attributes',
  S2R: 'recording only: the event is still returned', S2HAFT: 'RES0 unless HTTU = 0b11',
  S2PIE: 'RES0 without IDR3.S2PI', S2POE: 'RES0 without IDR3.S2PO', DPT_VMATCH: 'RES0 without IDR3.DPT',
  S2NSW: 'Secure streams only', S2NSA: 'Secure streams only', S2SL0_2: 'RES0 without IDR5.DS', S2DS: 'RES0 without IDR5.DS',
  S2SKL: 'VMSAv9-128 only', PARTID: 'MPAM', S_S2T0SZ: 'Secure streams only', S_S2SL0: 'Secure streams only',
  S_S2TG: 'Secure streams only', MECID: 'Realm streams only', PMG: 'MPAM', MPAM_NS: 'Secure/Realm streams only',
  AssuredOnly: 'RES0 without IDR3.THE', TL0: 'RES0 without IDR3.THE', TL1: 'RES0 without IDR3.THE',
  VMSPtr: 'VMS not implemented', S2SW: 'Secure streams only', S2SA: 'Secure streams only',
  S_S2SL0_2: 'Secure streams only', S_S2TTB: 'Secure streams only', S_S2SKL: 'Secure streams only',
  S2POI: 'RES0 without IDR3.S2PO',
};

/** STE fields {@link refSte} reads. */
export const STE_USED = [
  'V', 'Config', 'S1Fmt', 'S1ContextPtr', 'S1CDMax', 'S1DSS', 'S1STALLD', 'EATS', 'STRW', 'S2VMID', 'S2T0SZ', 'S2SL0',
  'S2TG', 'S2PS', 'S2AA64', 'S2ENDI', 'S2AFFD', 'S2PTW', 'S2HD', 'S2HA', 'S2S', 'S2TTB',
] as const;

/** CD fields the reference does not look at, with the reason (see {@link STE_IGNORED}). */
export const CD_IGNORED: Readonly<Record<string, string>> = {
  IR0: 'walk attributes', OR0: 'walk attributes', SH0: 'walk attributes', IR1: 'walk attributes', OR1: 'walk attributes', SH1: 'walk attributes',
  WXN: 'instruction fetches only (the probes are data accesses)', UWXN: 'VMSAv8-32 only', R: 'recording only: the event is still returned',
  ASET: 'broadcast invalidation', NSCFG0: 'Secure streams only', NSCFG1: 'Secure streams only', HAFT: 'RES0 unless HTTU = 0b11',
  PnCH: 'RES0 without IDR3.THE', EPAN: 'RES0 without IDR3.EPAN', AIE: 'RES0 without IDR3.AIE', DS: 'RES0 without IDR5.DS', PIE: 'RES0 without IDR3.S1PI',
  HWU059: 'PBHA', HWU060: 'PBHA', HWU061: 'PBHA', HWU062: 'PBHA', HWU159: 'PBHA', HWU160: 'PBHA', HWU161: 'PBHA', HWU162: 'PBHA',
  MAIR0: 'attributes', MAIR1: 'attributes', AMAIR0: 'IMPLEMENTATION DEFINED', AMAIR1: 'IMPLEMENTATION DEFINED', IMPDEF: 'IMPLEMENTATION DEFINED',
  PARTID: 'MPAM', PMG: 'MPAM', PIIU: 'permission indirection (RES0)', PIIP: 'permission indirection (RES0)',
};

/** CD fields {@link refCd} reads. */
export const CD_USED = [
  'T0SZ', 'TG0', 'EPD0', 'ENDI', 'T1SZ', 'TG1', 'EPD1', 'V', 'IPS', 'AFFD', 'TBI0', 'TBI1', 'PAN', 'AA64', 'HD', 'HA', 'S', 'A',
  'ASID', 'HAD0', 'E0PD0', 'TTB0', 'HAD1', 'E0PD1', 'TTB1',
] as const;

const num = (v: number | bigint | undefined): number => Number(v ?? 0);

/** log2 of the span of one entry at `level` with the 4 KB granule. */
const shiftOf = (level: number) => 12 + 9 * (3 - level);

/** Stage-1 start level for an input size (4 KB granule) [ARMARM AArch64.S1StartLevel]. */
const s1StartLevel = (inputBits: number) => 4 - Math.ceil((inputBits - 12) / 9);

function alignDownTo(v: number, bits: number): number {
  return Math.floor(v / 2 ** bits) * 2 ** bits;
}

/**
 * SteIllegal() in the model's scope [SPEC 5.2.2; reference §2.2], for the 4 KB-only profiles: undefined
 * when ILLEGAL, 'abort' for Config 0b0xx, else the configuration.
 */
function refSte(words: Uint32Array, caps: SmmuCapabilities): RefSte | 'abort' | undefined {
  const v = STE.decode(words) as Record<string, number | bigint>;
  if (num(v['V']) === 0) return undefined;
  const config = num(v['Config']);
  if (config < 4) return 'abort';
  const s1on = (config & 1) === 1;
  const s2on = (config & 2) === 2;
  if ((s1on && !caps.s1p) || (s2on && !caps.s2p)) return undefined;
  const s2s = num(v['S2S']) === 1;
  const eats = num(v['EATS']);
  if (caps.ats && (config & 3) !== 0) {
    if (eats === 2 && (config !== 7 || s2s || caps.ns1ats)) return undefined;
    if (eats === 1 && s2s && s2on) return undefined;
  }
  const strwUsed = caps.hyp && config === 5;
  const strw = num(v['STRW']);
  if (strwUsed && (strw & 1) === 1) return undefined;
  let s1: RefSte['s1'];
  if (s1on) {
    const stallDisable = num(v['S1STALLD']) === 1;
    if (stallDisable && caps.stallModel !== 0) return undefined;
    const cdMax = num(v['S1CDMax']);
    if (caps.ssidSize !== 0 && cdMax > caps.ssidSize) return undefined;
    const substreams = caps.ssidSize !== 0 && cdMax !== 0;
    const fmt = num(v['S1Fmt']);
    if (substreams && !caps.cd2l && (fmt === 1 || fmt === 2)) return undefined;
    const ptr = num(v['S1ContextPtr']);
    if (ptr >= 2 ** (s2on ? caps.ias : caps.oasBits)) return undefined;
    const format = !substreams ? 'single' : fmt === 1 ? '2l4k' : fmt === 2 ? '2l64k' : 'linear';
    s1 = { ptr, cdMax, substreams, format, s1dss: num(v['S1DSS']), stallDisable };
  }
  let s2: RefS2 | undefined;
  if (s2on) {
    if (s2s && caps.stallModel === 1) return undefined;
    if (!s2s && caps.stallModel === 2) return undefined;
    if (num(v['S2AA64']) !== 1) return undefined; // no profile implements VMSAv8-32 LPAE
    const ha = num(v['S2HA']) === 1;
    const hd = num(v['S2HD']) === 1;
    if ((ha || hd) && caps.httu === 0) return undefined;
    if (hd && caps.httu === 1) return undefined;
    if (num(v['S2TG']) !== 0) return undefined; // 64 KB / 16 KB not implemented, 0b11 reserved
    const outBits = Math.min(ADDRESS_SIZE[num(v['S2PS'])]!, caps.oasBits);
    const ttb = num(v['S2TTB']);
    if (ttb >= 2 ** Math.min(outBits, 48)) return undefined;
    const t0sz = num(v['S2T0SZ']);
    if (t0sz < Math.max(16, 64 - caps.ias) || t0sz > 39) return undefined;
    const sl0 = num(v['S2SL0']);
    if (sl0 === 3 || (sl0 === 2 && caps.oasBits < 44)) return undefined; // [ARMARM AArch64.S2InvalidSL]
    const startLevel = 2 - sl0;
    // [ARMARM AArch64.S2InconsistentSL]
    const levels = 3 - startLevel;
    const minIn = levels * 9 + 12 + 1;
    const inputBits = 64 - t0sz;
    if (inputBits < minIn || inputBits > minIn + 8 + 4) return undefined;
    if (num(v['S2ENDI']) === 1 ? caps.ttEndian === 2 : caps.ttEndian === 3) return undefined;
    const rootBits = inputBits - shiftOf(startLevel) + 3;
    s2 = {
      root: alignDownTo(ttb, rootBits),
      inputBits,
      startLevel,
      outBits: Math.min(outBits, 48),
      affd: num(v['S2AFFD']) === 1,
      ha,
      ptw: num(v['S2PTW']) === 1 && num(v['S2FWB']) === 0 && s1on,
    };
  }
  // IgnoreSTES2VMID(): no stage 2, bypass, or an NS-EL2 StreamWorld.
  const vmidUsed = caps.s2p && config !== 4 && !(strwUsed && strw !== 0);
  if (vmidUsed && !caps.vmid16 && num(v['S2VMID']) > 0xff) return undefined;
  const kind = (['bypass', 's1', 's2', 'nested'] as const)[config - 4]!;
  return { kind, el2: strwUsed && strw === 2, ...(s1 ? { s1 } : {}), ...(s2 ? { s2 } : {}) };
}

/** CdIllegal() in the model's scope [SPEC 5.4.2; reference §3.1]: undefined when ILLEGAL. */
function refCd(words: Uint32Array, ste: RefSte, caps: SmmuCapabilities): RefCd | undefined {
  const v = CD.decode(words) as Record<string, number | bigint>;
  const f = (name: string) => num(v[name]);
  if (f('V') === 0) return undefined;
  const s = f('S') === 1;
  if (ste.s1!.stallDisable && s) return undefined;
  if (caps.termModel === 1 && f('A') === 0) return undefined;
  if ((caps.stallModel === 1 && s) || (caps.stallModel === 2 && !s)) return undefined;
  const en = [ste.el2 || f('EPD0') === 0, !ste.el2 && f('EPD1') === 0];
  if ((en[0] || en[1]) && (f('ENDI') === 1 ? caps.ttEndian === 2 : caps.ttEndian === 3)) return undefined;
  if (f('AA64') !== 1) return undefined; // no profile implements VMSAv8-32 LPAE
  const ha = f('HA') === 1;
  const hd = f('HD') === 1;
  if ((ha || hd) && caps.httu === 0) return undefined;
  if (hd && caps.httu === 1) return undefined;
  if (!ste.el2 && !caps.asid16 && f('ASID') > 0xff) return undefined;
  const outBits = Math.min(ADDRESS_SIZE[f('IPS')]!, caps.oasBits, 48);
  const halves: (RefHalf | undefined)[] = [];
  for (const i of [0, 1] as const) {
    if (!en[i]) {
      halves.push(undefined);
      continue;
    }
    const tsz = f(`T${i}SZ`);
    if (tsz < 16 || tsz > 39) return undefined;
    // TG0: 0 = 4 KB; TG1: 2 = 4 KB (the only granule these profiles implement).
    if (f(`TG${i}`) !== (i === 0 ? 0 : 2)) return undefined;
    const ttb = f(`TTB${i}`);
    if (ttb >= 2 ** outBits) return undefined;
    const inputBits = 64 - tsz;
    const startLevel = s1StartLevel(inputBits);
    halves.push({
      root: alignDownTo(ttb, inputBits - shiftOf(startLevel) + 3),
      inputBits,
      startLevel,
      tbi: f(`TBI${i}`) === 1,
      had: IDR3_HAD && f(`HAD${i}`) === 1,
      e0pd: IDR3_E0PD && f(`E0PD${i}`) === 1,
    });
  }
  return { halves: [halves[0], halves[1]], outBits, affd: f('AFFD') === 1, ha, pan: f('PAN') === 1 };
}

/** What a stage-2 walk serves: its event CLASS. */
type S2Purpose = typeof CLS_CD | typeof CLS_TT | typeof CLS_IN;

/** The reference's view of one translation in progress. */
class RefRun {
  constructor(
    readonly mem: PhysicalMemory,
    readonly t: RefTxn,
  ) {}

  event(name: EventName, d: RefEventDetail = {}): Stop {
    return new Stop(eventOutcome(name, this.t, d));
  }

  /** A stage-2 walk of `ipa` for `purpose`; returns the PA. */
  s2(s2: RefS2, ipa: number, purpose: S2Purpose): number {
    const fault = (name: EventName) => this.event(name, { s2: true, cls: purpose, ipa, ttrnw: purpose === CLS_TT });
    if (ipa >= 2 ** s2.inputBits) throw fault('F_TRANSLATION');
    let table = s2.root;
    for (let level = s2.startLevel; level <= 3; level++) {
      const shift = shiftOf(level);
      const bits = level === s2.startLevel ? s2.inputBits - shift : 9;
      const at = table + (Math.floor(ipa / 2 ** shift) % 2 ** bits) * 8;
      const d = read64Big(this.mem, at);
      if (d === undefined) throw this.event('F_WALK_EABT', { s2: true, cls: purpose, fetchAddr: at, ttrnw: purpose === CLS_TT });
      if ((d & 1n) === 0n) throw fault('F_TRANSLATION');
      if ((d & 2n) !== 0n && level < 3) {
        table = Number((d >> 12n) & 0xf_ffff_ffffn) * 4096;
        if (table >= 2 ** s2.outBits) throw fault('F_ADDR_SIZE');
        continue;
      }
      if ((d & 2n) === 0n && level !== 1 && level !== 2) throw fault('F_TRANSLATION');
      const out = Number((d >> BigInt(shift)) & ((1n << BigInt(48 - shift)) - 1n)) * 2 ** shift;
      if (out >= 2 ** s2.outBits) throw fault('F_ADDR_SIZE');
      if ((d & (1n << 10n)) === 0n && !s2.ha && !s2.affd) throw fault('F_ACCESS');
      const write = purpose === CLS_IN && this.t.write;
      const s2ap = Number((d >> 6n) & 3n);
      if ((s2ap & (write ? 2 : 1)) === 0) throw fault('F_PERMISSION');
      // S2PTW: a CD or stage-1 table fetch from stage-2 Device memory (MemAttr[3:2] == 0b00).
      if (s2.ptw && purpose !== CLS_IN && ((d >> 4n) & 3n) === 0n) throw fault('F_PERMISSION');
      return out + (ipa % 2 ** shift);
    }
    throw fault('F_TRANSLATION');
  }

  /** A configuration structure read (through stage 2 for nested streams), or the PA whose read aborted. */
  config(ste: RefSte, address: number, bytes: number): { words: Uint32Array; pa: number } | { abort: number } {
    const pa = ste.s2 && ste.kind === 'nested' ? this.s2(ste.s2, address, CLS_CD) : address;
    const words = new Uint32Array(bytes / 4);
    for (let i = 0; i < words.length; i++) {
      const w = this.mem.read32(pa + 4 * i);
      if (w < 0) return { abort: pa };
      words[i] = w;
    }
    return { words, pa };
  }

  /** The stage-1 walk of `input` in `half`, with stage 2 translating each table address when nested. */
  s1(cd: RefCd, half: RefHalf, input: number, s2: RefS2 | undefined): number {
    const t = this.t;
    const fault = (name: EventName) => this.event(name, { cls: CLS_IN });
    let table = half.root;
    let apTable = 0;
    for (let level = half.startLevel; level <= 3; level++) {
      const shift = shiftOf(level);
      const bits = level === half.startLevel ? half.inputBits - shift : 9;
      const ipa = table + (Math.floor(input / 2 ** shift) % 2 ** bits) * 8;
      const pa = s2 ? this.s2(s2, ipa, CLS_TT) : ipa;
      const d = read64Big(this.mem, pa);
      if (d === undefined) throw this.event('F_WALK_EABT', { cls: CLS_TT, fetchAddr: pa, ttrnw: true });
      if ((d & 1n) === 0n) throw fault('F_TRANSLATION');
      if ((d & 2n) !== 0n && level < 3) {
        table = Number((d >> 12n) & 0xf_ffff_ffffn) * 4096;
        if (table >= 2 ** cd.outBits) throw fault('F_ADDR_SIZE');
        if (!half.had) apTable |= Number((d >> 61n) & 3n);
        continue;
      }
      if ((d & 2n) === 0n && level !== 1 && level !== 2) throw fault('F_TRANSLATION');
      const out = Number((d >> BigInt(shift)) & ((1n << BigInt(48 - shift)) - 1n)) * 2 ** shift;
      if (out >= 2 ** cd.outBits) throw fault('F_ADDR_SIZE');
      if ((d & (1n << 10n)) === 0n && !cd.ha && !cd.affd) throw fault('F_ACCESS');
      // AP[2:1] = bits [7:6] with APTable[1:0]: [0] removes EL0 access, [1] removes write access.
      const ap = Number((d >> 6n) & 3n);
      const el0 = (ap & 1) === 1 && (apTable & 1) === 0;
      const writable = (ap & 2) === 0 && (apTable & 2) === 0;
      let allowed: boolean;
      if (t.instr) throw new Error('the reference does not model instruction fetches');
      if (t.priv) allowed = !(cd.pan && el0) && (!t.write || writable);
      else allowed = el0 && (!t.write || writable);
      if (!allowed) throw fault('F_PERMISSION');
      return out + (input % 2 ** shift);
    }
    throw fault('F_TRANSLATION');
  }
}

/** The world's stream table, as programmed. */
export interface RefSmmu {
  readonly mem: PhysicalMemory;
  readonly caps: SmmuCapabilities;
  readonly table: RefStreamTable;
}

/** The outcome the architecture prescribes for `txn` given what memory holds (see the file comment). */
export function refTranslate(smmu: RefSmmu, txn: SmmuTransaction): Outcome {
  const t = refTxn(txn);
  const run = new RefRun(smmu.mem, t);
  try {
    return refPipeline(smmu, run, t);
  } catch (e) {
    if (e instanceof Stop) return e.outcome;
    throw e;
  }
}

function refPipeline(smmu: RefSmmu, run: RefRun, t: RefTxn): Outcome {
  const { caps, table, mem } = smmu;
  if (t.sid >= 2 ** table.log2Size) throw run.event('C_BAD_STREAMID');
  let steAt: number;
  if (table.format === 'linear') {
    steAt = table.base + t.sid * 64;
  } else {
    const l1 = table.base + Math.floor(t.sid / 2 ** table.split) * 8;
    const d = read64Big(mem, l1);
    if (d === undefined) throw run.event('F_STE_FETCH', { fetchAddr: l1 });
    const span = Number(d & 31n);
    if (span === 0 || span > 11 || span > table.split + 1) throw run.event('C_BAD_STREAMID');
    const index = t.sid % 2 ** table.split;
    if (index >= 2 ** (span - 1)) throw run.event('C_BAD_STREAMID');
    const l2 = alignDownTo(Number((d >> 6n) & ((1n << 50n) - 1n)) * 64, span + 5);
    steAt = l2 + index * 64;
  }
  if (steAt >= 2 ** caps.oasBits) throw run.event('F_STE_FETCH', { fetchAddr: steAt });
  const steWords = new Uint32Array(16);
  for (let i = 0; i < 16; i++) {
    const w = mem.read32(steAt + 4 * i);
    if (w < 0) throw run.event('F_STE_FETCH', { fetchAddr: steAt });
    steWords[i] = w;
  }
  const ste = refSte(steWords, caps);
  if (ste === undefined) throw run.event('C_BAD_STE');
  if (ste === 'abort') return { ok: false, silent: 'STE_ABORT' };

  // SubstreamID rules [SPEC 5.2 S1DSS, 7.3.9].
  let cdIndex = 0;
  let stage1 = ste.s1 !== undefined;
  if (!ste.s1) {
    if (t.ssv) throw run.event('C_BAD_SUBSTREAMID', { substreamId: t.ssid });
  } else if (t.ssv) {
    if (caps.ssidSize === 0 || ste.s1.cdMax === 0 || t.ssid >= 2 ** ste.s1.cdMax) throw run.event('C_BAD_SUBSTREAMID', { substreamId: t.ssid });
    if (t.ssid === 0 && ste.s1.s1dss === 2) throw run.event('F_STREAM_DISABLED');
    cdIndex = t.ssid;
  } else if (ste.s1.substreams) {
    if (ste.s1.s1dss === 1) stage1 = false;
    else if (ste.s1.s1dss !== 2) throw run.event('F_STREAM_DISABLED');
  }
  if (!stage1) {
    const limit = ste.kind === 'bypass' ? caps.oasBits : caps.ias;
    if (t.address >= 1n << BigInt(limit)) throw run.event('F_ADDR_SIZE', { cls: CLS_IN });
    const ipa = Number(t.address);
    const output = ste.s2 ? run.s2(ste.s2, ipa, CLS_IN) : ipa;
    return { ok: true, output, ipa };
  }

  // CD table [SPEC 5.2 S1Fmt, 5.3].
  const s1 = ste.s1!;
  const limit = 2 ** (ste.kind === 'nested' ? caps.ias : caps.oasBits);
  let cdAt: number;
  if (s1.format === 'single') cdAt = s1.ptr;
  else if (s1.format === 'linear') cdAt = alignDownTo(s1.ptr, s1.cdMax + 6) + cdIndex * 64;
  else {
    const l2bits = s1.format === '2l4k' ? 6 : 10;
    const l1At = alignDownTo(s1.ptr, Math.max(6, s1.cdMax - l2bits + 3)) + Math.floor(cdIndex / 2 ** l2bits) * 8;
    if (l1At >= limit) throw run.event('C_BAD_STE');
    const l1 = run.config(ste, l1At, 8);
    if ('abort' in l1) throw run.event('F_CD_FETCH', { fetchAddr: l1.abort });
    if ((l1.words[0]! & 1) === 0) throw run.event('C_BAD_SUBSTREAMID', { substreamId: cdIndex });
    const l2Ptr = num(L1CD.getBig(l1.words, 'L2Ptr'));
    if (l2Ptr >= limit) throw run.event('C_BAD_SUBSTREAMID', { substreamId: cdIndex });
    cdAt = alignDownTo(l2Ptr, l2bits + 6) + (cdIndex % 2 ** l2bits) * 64;
  }
  if (cdAt >= limit) throw run.event('C_BAD_STE');
  const cdRead = run.config(ste, cdAt, 64);
  if ('abort' in cdRead) throw run.event('F_CD_FETCH', { fetchAddr: cdRead.abort });
  const cd = refCd(cdRead.words, ste, caps);
  if (cd === undefined) throw run.event('C_BAD_CD');

  // TTB0/TTB1 selection and the VA range [SPEC 3.4.1].
  const upper = Number((t.address >> 55n) & 1n);
  const half = cd.halves[upper];
  const top = half?.tbi ? 55 : 63;
  const inputBits = half?.inputBits ?? 64;
  const rangeBits = (t.address >> BigInt(inputBits)) & ((1n << BigInt(top - inputBits + 1)) - 1n);
  const expected = upper === 1 ? (1n << BigInt(top - inputBits + 1)) - 1n : 0n;
  if (!half || rangeBits !== expected || (half.e0pd && !t.priv)) throw run.event('F_TRANSLATION', { cls: CLS_IN });
  const input = Number(t.address & ((1n << BigInt(half.inputBits)) - 1n));
  const s2 = ste.kind === 'nested' ? ste.s2 : undefined;
  const ipa = run.s1(cd, half, input, s2);
  const output = s2 ? run.s2(s2, ipa, CLS_IN) : ipa;
  return { ok: true, output, ipa };
}

/** The reference SMMU of a world. */
export function refOf(w: World): RefSmmu {
  return { mem: w.fx.mem, caps: w.profile.caps, table: w.table };
}

// ---------------------------------------------------------------------------------------------------------
// Bits from the layouts
// ---------------------------------------------------------------------------------------------------------

/** Who owns one bit of a structure. */
export interface BitOwner {
  /** Absolute bit number. */
  readonly bit: number;
  /** A field name, `reserved` (a declared reserved range) or `unnamed` (in neither). */
  readonly owner: string;
  /** The field's spec, for field bits. */
  readonly field: FieldSpec | undefined;
}

/** Every bit of a layout with its owner, in order: enumerated from the spec, so new fields are included. */
export function layoutBits(layout: { readonly spec: StructureSpec }): BitOwner[] {
  const out: BitOwner[] = [];
  for (let bit = 0; bit < layout.spec.bits; bit++) {
    const field = layout.spec.fields.find((f) => f.lo <= bit && bit <= f.hi);
    const reserved = (layout.spec.reserved ?? []).some(([hi, lo]) => lo <= bit && bit <= hi);
    out.push({ bit, owner: field ? field.name : reserved ? 'reserved' : 'unnamed', field });
  }
  return out;
}

/** Toggles bit `bit` of the structure at `base`. */
export function toggleBit(memory: PhysicalMemory, base: number, bit: number): void {
  const at = base + Math.floor(bit / 32) * 4;
  const w = memory.read32(at);
  if (w < 0) throw new Error(`structure at 0x${base.toString(16)} is not backed`);
  if (!memory.write32(at, (w ^ (1 << (bit % 32))) >>> 0)) throw new Error('write failed');
}

/** Counts of outcomes by name, for reports and sanity checks. */
export function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[outcomeName(o)] = (t[outcomeName(o)] ?? 0) + 1;
  return t;
}

// ---------------------------------------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------------------------------------

const W = Access.WRITE;
const R = Access.READ;
const P = Access.PRIV;

function stage1Probes(sid: number): SmmuTransaction[] {
  return [
    { streamId: sid, address: 0x123, access: W | P },
    { streamId: sid, address: TTB1_VA0 + 0x123n, access: R },
    { streamId: sid, address: BLOCK_VA + 0x4_5678, access: W },
  ];
}

/**
 * The transactions each stream of the world is probed with: privileged and unprivileged, reads and writes,
 * the TTB0 and TTB1 halves, pages and blocks, with and without a SubstreamID.
 */
export function probesOf(sid: number): SmmuTransaction[] {
  switch (sid) {
    case Sid.S1:
    case Sid.S1_AFFD:
    case Sid.S1_HA:
    case Sid.NESTED:
      return stage1Probes(sid);
    case Sid.NESTED_SS:
      return [
        { streamId: sid, address: 0x123, access: W | P },
        { streamId: sid, substreamId: 5, address: TTB1_VA0 + 0x123n, access: R },
        { streamId: sid, substreamId: 0, address: 0x123, access: R },
      ];
    case Sid.S2:
    case Sid.S2_AFFD:
    case Sid.S2_HA:
      return [
        { streamId: sid, address: DATA_IPA + 0x123, access: W },
        { streamId: sid, address: BLOCK_IPA + 0x1_2345, access: R | P },
      ];
    case Sid.BYPASS:
      return [{ streamId: sid, address: DATA_PA + 0x123, access: W }];
    default:
      throw new Error(`no stream ${sid}`);
  }
}

/** The StreamIDs the world programs on a profile. */
export function streamsOf(p: Profile): number[] {
  const sids: number[] = [Sid.S1, Sid.S1_AFFD, Sid.BYPASS];
  if (p.caps.httu !== 0) sids.push(Sid.S1_HA);
  if (p.caps.s2p) sids.push(Sid.NESTED, Sid.NESTED_SS, Sid.S2, Sid.S2_AFFD);
  if (p.caps.s2p && p.caps.httu !== 0) sids.push(Sid.S2_HA);
  return sids.sort((a, b) => a - b);
}

/** Outcome equality (bigint-aware). */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) === JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
