/**
 * Shared helpers of the reliability tests (malformed guest input): reserved-bit enumeration from the
 * structures' field tables, in-memory bit toggles, and a compact, comparable description of a translation's
 * outcome (reason, fault record and whether it was logged), so a whole matrix of bits compares in one
 * assertion with a readable diff.
 */
import { Access, readWords, writeWords, type FieldSpec, type PhysicalMemory, type StructureSpec, type TraceEntry } from '@viommu/core';
import {
  decodeFaultRecord,
  encodeVtdCapabilities,
  DEFAULT_VTD_CAPABILITIES,
  LEGACY_CONTEXT_ENTRY_LAYOUT,
  PASID_ENTRY_LAYOUT,
  type VtdCapabilities,
} from '../src/structures/index';
import type { VtdModel, VtdModelOptions, VtdRequest, VtdTranslateResult } from '../src/model/index';
import { DATA_BASE, Machine, makeGuest, RW, URW } from './model-support';

/** Anything built by `defineStructure` (only its spec is read here). */
export interface Layout {
  readonly spec: StructureSpec;
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

/** Every bit position inside the layout's `reserved` ranges, ascending. */
export function reservedRangeBits(layout: Layout): number[] {
  const bits: number[] = [];
  for (const [hi, lo] of layout.spec.reserved ?? []) for (let b = lo; b <= hi; b++) bits.push(b);
  return bits.sort((a, b) => a - b);
}

/** A field of a layout by name. */
export function fieldOf(layout: Layout, name: string): FieldSpec {
  const f = layout.spec.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${layout.spec.name} has no field ${name}`);
  return f;
}

/** The 4 KB-aligned pointer fields of a layout: declared `big` with `shift` 12 (CTP, SLPTPTR, PASIDDIRPTR…). */
export function pointerFields(layout: Layout): FieldSpec[] {
  return layout.spec.fields.filter((f) => f.big === true && f.shift === 12);
}

/**
 * The structure bits that hold address bits at or above `width` of a 4 KB-aligned pointer field: address bit
 * `a` lives at structure bit `lo + a − 12`, for `a` from `width` up to the field's top.
 */
export function pointerBitsAtOrAbove(layout: Layout, name: string, width: number): number[] {
  const f = fieldOf(layout, name);
  const bits: number[] = [];
  for (let b = f.lo + width - 12; b <= f.hi; b++) bits.push(b);
  return bits;
}

/** Reads 64-bit word `bit >> 6` of the structure at `base` and reports whether `bit` is set. */
export function bitIsSet(memory: PhysicalMemory, base: number, bit: number): boolean {
  const v = { hi: 0, lo: 0 };
  if (!memory.read64(base + Math.floor(bit / 64) * 8, v)) throw new Error(`unbacked structure at ${hex(base)}`);
  const b = bit % 64;
  return ((b < 32 ? v.lo >>> b : v.hi >>> (b - 32)) & 1) === 1;
}

/** Flips bit `bit` (absolute within the structure) of the structure at `base`. */
export function toggleBit(memory: PhysicalMemory, base: number, bit: number): void {
  const address = base + Math.floor(bit / 64) * 8;
  const v = { hi: 0, lo: 0 };
  if (!memory.read64(address, v)) throw new Error(`unbacked structure at ${hex(base)}`);
  const b = bit % 64;
  if (b < 32) v.lo = (v.lo ^ (1 << b)) >>> 0;
  else v.hi = (v.hi ^ (1 << (b - 32))) >>> 0;
  if (!memory.write64(address, v.hi, v.lo)) throw new Error(`cannot write ${hex(address)}`);
}

/** Overwrites one field of the structure at `base` (read-modify-write of its words) and returns the old words. */
export function setStructureField(memory: PhysicalMemory, base: number, layout: Layout & { set(w: Uint32Array, n: string, v: number | bigint): void }, name: string, value: number | bigint): Uint32Array {
  const count = Math.ceil(layout.spec.bits / 32);
  const old = readWords(memory, base, count);
  if (!old) throw new Error(`unbacked structure at ${hex(base)}`);
  const words = Uint32Array.from(old);
  layout.set(words, name, value);
  writeWords(memory, base, words);
  return old;
}

/** Writes words back (the inverse of {@link setStructureField}). */
export function restoreWords(memory: PhysicalMemory, base: number, words: ArrayLike<number>): void {
  if (!writeWords(memory, base, words)) throw new Error(`cannot write ${hex(base)}`);
}

/**
 * A comparable description of a translation result. For a fault: the reason, the fault record's FR, SID
 * and PASID, and how it was logged — `recorded` only when the result says so AND the fault recording
 * registers hold exactly that record, `suppressed` only when the result says FPD suppressed it AND nothing
 * was logged. The fault log is cleared afterwards, so every probe starts from an empty log.
 */
export function outcome(model: VtdModel, r: VtdTranslateResult): string {
  if (r.ok) return `ok ${hex(r.output)}`;
  const rec = decodeFaultRecord(r.record);
  const pending = model.readFaults();
  let logged = 'inconsistent-log';
  if (r.recorded && !r.suppressed && pending.length === 1 && Array.from(pending[0]!.record).join() === Array.from(r.record).join()) logged = 'recorded';
  if (!r.recorded && r.suppressed && pending.length === 0) logged = 'suppressed';
  model.clearFaults();
  return `fault ${hex(r.reason)} [FR ${hex(rec.reason)} SID ${hex(rec.sourceId)} PASID ${rec.pasid === undefined ? '-' : hex(rec.pasid)}] ${logged}`;
}

/** The {@link outcome} string a fault with these properties must produce. */
export function faultOutcome(reason: number, sid: number, pasid: number | undefined, recorded: boolean): string {
  return `fault ${hex(reason)} [FR ${hex(reason)} SID ${hex(sid)} PASID ${pasid === undefined ? '-' : hex(pasid)}] ${recorded ? 'recorded' : 'suppressed'}`;
}

/** The {@link outcome} string of a successful translation to `output`. */
export function okOutcome(output: number): string {
  return `ok ${hex(output)}`;
}

/** A valid, translating configuration to probe. */
export interface Probe {
  readonly machine: Machine;
  /** A request that translates to `output`. */
  readonly request: VtdRequest;
  readonly output: number;
  /** The FPD bit that applies to faults after the context entry: structure base address and bit. */
  readonly fpd: { readonly address: number; readonly bit: number };
}

/** Translates the probe's request without caches and describes the outcome. */
export function translateProbe(p: Probe): string {
  return outcome(p.machine.model, p.machine.model.translate(p.request, { uncached: true }));
}

/**
 * Sets one bit of the structure at `base` (it must be clear in the valid configuration), translates, sets the
 * FPD bit too and translates again, then clears both and translates a third time. Returns the three
 * outcomes joined by ` | `.
 */
export function probeBit(p: Probe, base: number, bit: number): string {
  const memory = p.machine.memory;
  if (bitIsSet(memory, base, bit)) return `bit ${bit} already set in the valid configuration`;
  toggleBit(memory, base, bit);
  const set = translateProbe(p);
  toggleBit(memory, p.fpd.address, p.fpd.bit);
  const withFpd = translateProbe(p);
  toggleBit(memory, p.fpd.address, p.fpd.bit);
  toggleBit(memory, base, bit);
  return `${set} | FPD=1: ${withFpd} | cleared: ${translateProbe(p)}`;
}

/** What {@link probeBit} must return for a reserved bit faulting `reason` (suppressed by FPD iff `qualified`). */
export function expectedReservedProbe(p: Probe, reason: number, qualified: boolean): string {
  const sid = p.request.sourceId;
  const pasid = p.request.pasid;
  return `${faultOutcome(reason, sid, pasid, true)} | FPD=1: ${faultOutcome(reason, sid, pasid, !qualified)} | cleared: ${okOutcome(p.output)}`;
}

/** Runs {@link probeBit} over `bits` and maps each bit to its result, for one `toEqual` against the expectation. */
export function probeBits(p: Probe, base: number, bits: readonly number[]): Record<number, string> {
  const out: Record<number, string> = {};
  for (const b of bits) out[b] = probeBit(p, base, b);
  return out;
}

/** The same expectation for every bit. */
export function expectAll(bits: readonly number[], expected: string): Record<number, string> {
  const out: Record<number, string> = {};
  for (const b of bits) out[b] = expected;
  return out;
}

/** Model options for capabilities derived from the defaults with some fields changed. */
export function capsOptions(changes: Partial<VtdCapabilities>, extra: VtdModelOptions = {}): VtdModelOptions {
  const regs = encodeVtdCapabilities({ ...DEFAULT_VTD_CAPABILITIES, ...changes });
  return { cap: regs.cap, ecap: regs.ecap, ...extra };
}

/** The page-walk reads of a trace (stage 1 and 2 descriptor reads, not A/D write-backs, not configuration reads). */
export function walkReads(trace: readonly TraceEntry[], stage?: 1 | 2): TraceEntry[] {
  return trace.filter((e) => e.stage !== 0 && !e.write && (stage === undefined || e.stage === stage));
}

/** The configuration-structure reads of a trace (root, context, PASID-directory and PASID entries). */
export function configReads(trace: readonly TraceEntry[]): TraceEntry[] {
  return trace.filter((e) => e.stage === 0);
}

/** Distinct descriptor reads of one stage, by address, keeping the first read's level and value. */
export function distinctEntries(trace: readonly TraceEntry[], stage: 1 | 2): { address: number; level: number; value: bigint }[] {
  const seen = new Map<number, { address: number; level: number; value: bigint }>();
  for (const e of walkReads(trace, stage)) if (!seen.has(e.address)) seen.set(e.address, { address: e.address, level: e.level, value: e.value });
  return [...seen.values()];
}

/** Bit positions set in a 32-bit mask, offset by `base` (0 for a low word, 32 for a high word). */
export function maskBits(mask: number, base: number): number[] {
  const bits: number[] = [];
  for (let b = 0; b < 32; b++) if ((mask >>> b) & 1) bits.push(base + b);
  return bits;
}

/** Requester of the scenarios: bus 5, devfn 8 (the lower half of a scalable root entry). */
export const SID = 0x0508;
/** A requester in the upper half of a scalable root entry: bus 5, devfn 0x88. */
export const SID_UPPER = 0x0588;
/** The PASID of scalable-mode scenarios (directory index 0x48, table index 0x34). */
export const PASID = 0x1234;
/** Domain id of every scenario. */
export const DID = 42;
/** Offset within the page of every scenario request. */
export const OFFSET = 0x234;

/** Input pages: second-level (IOVA) and first-level (VA) inputs per page size, and their outputs. */
const SL_INPUT = { '4k': 0x2000_0000, '2m': 0x3000_0000, '1g': 0x40_0000_0000 } as const;
const FL_INPUT = { '4k': 0x7f12_3456_7000, '2m': 0x7f12_3460_0000, '1g': 0x7f00_4000_0000 } as const;
const OUTPUT = { '4k': DATA_BASE, '2m': DATA_BASE, '1g': 0x4000_0000 } as const;
const SIZE = { '4k': 0x1000, '2m': 0x20_0000, '1g': 0x4000_0000 } as const;

/** Nested guest: GPA [0, 32 MiB) at HPA 0x500_0000, its table pool at GPA [1 MiB, 5 MiB), data above. */
export const GUEST = { host: 0x500_0000, size: 0x200_0000, pool: 0x10_0000, poolSize: 0x40_0000 } as const;
const GUEST_OUTPUT = { '4k': 0x80_0000, '2m': 0x100_0000 } as const;

/** The page size a scenario maps. */
export type PageSize = '4k' | '2m' | '1g';

/** What a scenario builds. */
export interface ScenarioOptions {
  /** Host address width (default CAP.MGAW + 1 = 48). */
  haw?: number;
  /** Capability changes from the defaults. */
  caps?: Partial<VtdCapabilities>;
  /** Requester (default {@link SID}). */
  sid?: number;
  /** Second-level levels (3, 4 or 5; default 4). */
  levels?: 3 | 4 | 5;
  /** First-level paging mode: 0 4-level, 1 5-level. */
  flpm?: 0 | 1;
  /** PASID entry NXE. */
  nxe?: boolean;
  /** The page the request hits (default 4k). */
  page?: PageSize;
}

/** A translating configuration with the addresses of the structures it used. */
export interface Scenario extends Probe {
  /** The root entry serving the requester. */
  readonly root: number;
  /** Its context entry. */
  readonly context: number;
  /** Scalable mode: the PASID-directory entry and PASID entry serving {@link PASID}. */
  readonly dirEntry: number;
  readonly pasidEntry: number;
  /** Scalable mode: the PASID directory's base. */
  readonly directory: number;
}

function machine(scalable: boolean, o: ScenarioOptions): Machine {
  const extra: VtdModelOptions = o.haw === undefined ? {} : { hostAddressWidth: o.haw };
  return new Machine(scalable, o.caps ? capsOptions(o.caps, extra) : extra);
}

/**
 * Legacy mode: a context entry (TT = 00b, AW = levels − 2) over a second-level table mapping one page
 * read-write; the request is a read without PASID. FPD is the context entry's.
 */
export function legacyScenario(o: ScenarioOptions = {}): Scenario {
  const sid = o.sid ?? SID;
  const page = o.page ?? '4k';
  const levels = o.levels ?? 4;
  const m = machine(false, o);
  const sl = m.secondLevel({ levels, leafSnp: m.model.caps.sc });
  sl.map(SL_INPUT[page], OUTPUT[page], SIZE[page], RW);
  m.legacyContext(sid, { P: 1, AW: levels - 2, SLPTPTR: sl.root, DID });
  m.enable();
  const context = m.contextEntryAddress(sid);
  return {
    machine: m,
    request: { sourceId: sid, address: SL_INPUT[page] + OFFSET, access: Access.READ },
    output: OUTPUT[page] + OFFSET,
    fpd: { address: context, bit: fieldOf(LEGACY_CONTEXT_ENTRY_LAYOUT, 'FPD').lo },
    root: m.rootTable + (sid >>> 8) * 16,
    context,
    dirEntry: -1,
    pasidEntry: -1,
    directory: -1,
  };
}

/**
 * Scalable mode: a context entry (PASIDE = 1, PDTS 0), a PASID-directory entry and a PASID entry for
 * {@link PASID} with the given PGTT, over tables mapping one page (first level: user read-write); the request
 * is a user read with PASID. FPD is the PASID entry's.
 */
export function scalableScenario(pgtt: 1 | 2 | 3 | 4, o: ScenarioOptions = {}): Scenario {
  const sid = o.sid ?? SID;
  const page = o.page ?? '4k';
  const levels = o.levels ?? 4;
  const m = machine(true, o);
  const directory = m.scalableContext(sid);
  const table = m.pasidDirectory(directory, PASID);
  const flLevels = o.flpm === 1 ? 5 : 4;
  const fl = { FLPM: o.flpm ?? 0, NXE: o.nxe ? 1 : 0 };
  let fields: Record<string, number>;
  let input: number;
  let output: number;
  if (pgtt === 1) {
    const t = m.firstLevel({ levels: flLevels, nxe: o.nxe ?? false });
    t.map(FL_INPUT[page], OUTPUT[page], SIZE[page], URW);
    fields = { PGTT: 1, FLPTPTR: t.root, ...fl };
    [input, output] = [FL_INPUT[page], OUTPUT[page]];
  } else if (pgtt === 2) {
    const t = m.secondLevel({ levels });
    t.map(SL_INPUT[page], OUTPUT[page], SIZE[page], RW);
    fields = { PGTT: 2, AW: levels - 2, SLPTPTR: t.root };
    [input, output] = [SL_INPUT[page], OUTPUT[page]];
  } else if (pgtt === 3) {
    if (page === '1g') throw new Error('the nested guest has no 1 GiB page');
    const g = makeGuest(m, GUEST.host, GUEST.size, GUEST.pool, GUEST.poolSize, { levels });
    const t = m.firstLevel({ levels: flLevels, nxe: o.nxe ?? false, hawBits: 52 }, g.memory, g.alloc);
    t.map(FL_INPUT[page], GUEST_OUTPUT[page], SIZE[page], URW);
    fields = { PGTT: 3, AW: levels - 2, SLPTPTR: g.sl.root, FLPTPTR: t.root, ...fl };
    [input, output] = [FL_INPUT[page], GUEST.host + GUEST_OUTPUT[page]];
  } else {
    fields = { PGTT: 4 };
    [input, output] = [SL_INPUT[page], SL_INPUT[page]];
  }
  m.pasidEntry(table, PASID, { ...fields, DID });
  m.enable();
  const pasidEntry = table + (PASID & 63) * 64;
  return {
    machine: m,
    request: { sourceId: sid, pasid: PASID, address: input + OFFSET, access: Access.READ },
    output: output + OFFSET,
    fpd: { address: pasidEntry, bit: fieldOf(PASID_ENTRY_LAYOUT, 'FPD').lo },
    root: m.rootTable + (sid >>> 8) * 16,
    context: m.contextEntryAddress(sid),
    dirEntry: directory + (PASID >>> 6) * 8,
    pasidEntry,
    directory,
  };
}

/** The scenario with another FPD bit (e.g. the context entry's or the PASID-directory entry's). */
export function withFpd(s: Scenario, address: number, layout: Layout): Scenario {
  return { ...s, fpd: { address, bit: fieldOf(layout, 'FPD').lo } };
}

/** Translates with a trace (uncached) and returns the result's outcome and the trace. */
export function traced(p: Probe): { outcome: string; trace: TraceEntry[] } {
  const trace: TraceEntry[] = [];
  const r = p.machine.model.translate(p.request, { uncached: true, trace });
  return { outcome: outcome(p.machine.model, r), trace };
}
