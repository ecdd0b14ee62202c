/**
 * The nested translation pipeline: stage 1 over stage 2. Every stage-1 table fetch is a stage-1 output
 * address (an IPA/GPA) translated through stage 2 before it is read; then the final stage-1 output goes
 * through stage 2. Stage-1-only, stage-2-only and bypass are the degenerate cases. Vendors also use
 * {@link NestedTranslator.readThroughStage2} for their configuration structures (SMMUv3 CDs, a guest's
 * PASID table) so those fetches fault and trace the same way.
 * @packageDocumentation
 */
import { EXTERNAL_ABORT, type PhysicalMemory } from '../memory/physical-memory';
import { Access, WalkState, type FaultKind, type PageTableFormat, type PermissionDetail } from '../pagetable/format';
import { WalkStop, walkStage, type TableFetcher } from '../pagetable/walker';
import type { U64 } from '../u64';

/** One stage's tables: a format instance and its root table address. */
export interface StageContext {
  /** The format instance. */
  readonly format: PageTableFormat;
  /** Root table address: a PA for stage 2 and single-stage walks; an IPA for a nested stage 1. */
  readonly root: number;
}

/** A translation context: what the vendor's configuration lookup produced. Absent stages are bypassed. */
export interface TranslationContext {
  /** Stage 1 (GVA → GPA/IPA), or undefined for stage-1 bypass. */
  readonly stage1?: StageContext | undefined;
  /** Stage 2 (GPA/IPA → HPA), or undefined for stage-2 bypass. */
  readonly stage2?: StageContext | undefined;
}

/** What a stage-2 walk was serving. */
export type Stage2Purpose = 's1-table' | 'output' | 'config';

/** One memory read (or A/D write) the translation made, in order: enough to draw the 2-D walk. */
export interface TraceEntry {
  /** Which stage's descriptor (1 or 2), or 0 for a vendor configuration structure (STE, CD, PASID entry). */
  stage: 0 | 1 | 2;
  /** Architectural level of the descriptor (stage 0: the vendor's structure index, usually 0). */
  level: number;
  /** Depth from the root. */
  depth: number;
  /** Physical address read. */
  address: number;
  /** For stage-1 descriptors and configuration structures under stage 2: the IPA they were read at. */
  ipa?: number;
  /** The 64-bit value read (or written). */
  value: bigint;
  /** For stage-2 reads: which fetch they served. */
  purpose?: Stage2Purpose;
  /** For stage-2 reads serving a stage-1 table fetch: that stage-1 depth. */
  s1Depth?: number;
  /** A/D update write rather than a read. */
  write?: boolean;
  /** A vendor label for configuration reads (`STE`, `CD`, `PASID entry`…). */
  label?: string;
}

/** A successful translation. */
export interface TranslationSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** Output (host physical) address. */
  readonly output: number;
  /** Stage-1 output (the IPA/GPA); equals the input when stage 1 is bypassed. */
  readonly ipa: number;
  /** log2 of the page the translation is valid for (the smaller of the two stages' leaves). */
  readonly pageShift: number;
  /** Combined permissions ({@link Perm} bits), stage 1 ∩ stage 2. */
  readonly permitted: number;
  /** Combined permissions a TLB may cache. */
  readonly cachePermitted: number;
  /** Stage-1 leaf is global (ARM nG = 0); true when stage 1 is bypassed. */
  readonly global: boolean;
  /** Stage-1 leaf attributes (format-defined). */
  readonly attrs1: number;
  /** Stage-2 leaf attributes (format-defined). */
  readonly attrs2: number;
  /** Architectural level of the stage-1 leaf, or -1. */
  readonly s1Level: number;
  /** Architectural level of the stage-2 leaf (of the final output), or -1. */
  readonly s2Level: number;
  /**
   * Number of descriptor reads this `translate` call made (stage-1 and stage-2 descriptors; configuration
   * reads made by earlier `readThroughStage2` calls are counted by those calls, not here).
   */
  readonly reads: number;
}

/** A failed translation: which stage, level and why. */
export interface TranslationFault {
  /** Discriminant. */
  readonly ok: false;
  /** The stage that faulted (a stage-2 fault while fetching a stage-1 structure is stage 2). */
  readonly stage: 1 | 2;
  /** Why. */
  readonly kind: FaultKind;
  /** For permission faults: which right was missing. */
  readonly detail: PermissionDetail;
  /** Depth (from the root) of the faulting stage's walk. */
  readonly depth: number;
  /** Architectural level of the faulting stage's walk, or -1 (input-range faults before any read). */
  readonly level: number;
  /** For stage-2 faults: what the stage-2 walk was serving (a stage-1 table fetch, the output, a config read). */
  readonly purpose?: Stage2Purpose;
  /** For stage-2 faults on a stage-1 table fetch: the stage-1 depth being fetched. */
  readonly s1Depth?: number;
  /** For stage-2 faults on a stage-1 table fetch: the stage-1 level being fetched. */
  readonly s1Level?: number;
  /** The faulting stage's input: the request address for stage 1, the IPA being translated for stage 2. */
  readonly address: number;
  /** For external aborts: the physical address of the descriptor access that aborted. */
  readonly fetchAddress?: number;
  /** The fault happened writing back an A/D update. */
  readonly onUpdate?: boolean;
  /** Number of descriptor reads made before the fault. */
  readonly reads: number;
}

/** The outcome of a translation: a value either way. */
export type TranslationResult = TranslationSuccess | TranslationFault;

const ALL_PERMS = 63;

/**
 * Runs translations over one memory. Holds reusable scratch so the hot path allocates only its result.
 * Set {@link NestedTranslator.trace} to an array to record every descriptor read.
 */
export class NestedTranslator {
  /** When set, every descriptor read is appended here. */
  trace: TraceEntry[] | undefined;
  private readonly s1State = new WalkState();
  private readonly s2State = new WalkState();
  private readonly tmp: U64 = { hi: 0, lo: 0 };
  private reads = 0;
  private stage2: StageContext | undefined;
  private s1Format: PageTableFormat | undefined;
  private pending: TranslationFault | undefined;
  private readonly s1Fetcher: TableFetcher;
  private readonly s2Fetcher: TableFetcher;
  private s2Purpose: Stage2Purpose = 'output';
  private s2ForS1Depth = -1;

  constructor(
    /** Host physical memory: every descriptor and configuration structure is read from it. */
    readonly memory: PhysicalMemory,
  ) {
    const self = this;
    this.s2Fetcher = {
      fetch(address, depth, out) {
        self.reads++;
        if (!self.memory.read64(address, out)) {
          self.pending = self.abortFault(2, depth, address, self.s2Purpose);
          return false;
        }
        if (self.trace) {
          const entry: TraceEntry = { stage: 2, level: self.stage2!.format.archLevels[depth]!, depth, address, value: big(out), purpose: self.s2Purpose };
          if (self.s2Purpose === 's1-table') entry.s1Depth = self.s2ForS1Depth;
          self.trace.push(entry);
        }
        return true;
      },
      update(address, depth, hi, lo) {
        if (!self.memory.write64(address, hi, lo)) {
          self.pending = { ...self.abortFault(2, depth, address, self.s2Purpose), onUpdate: true };
          return false;
        }
        self.trace?.push({ stage: 2, level: self.stage2!.format.archLevels[depth]!, depth, address, value: big({ hi, lo }), write: true, purpose: self.s2Purpose });
        return true;
      },
    };
    this.s1Fetcher = {
      fetch(ipa, depth, out) {
        const pa = self.stage2Address(ipa, Access.READ, 's1-table', depth);
        if (pa === undefined) return false;
        self.reads++;
        if (!self.memory.read64(pa, out)) {
          self.pending = self.abortFault(1, depth, pa);
          return false;
        }
        if (self.trace) {
          const entry: TraceEntry = { stage: 1, level: self.s1Format!.archLevels[depth]!, depth, address: pa, value: big(out) };
          if (self.stage2) entry.ipa = ipa;
          self.trace.push(entry);
        }
        return true;
      },
      update(ipa, depth, hi, lo) {
        const pa = self.stage2Address(ipa, Access.READ | Access.WRITE, 's1-table', depth, true);
        if (pa === undefined) return false;
        if (!self.memory.write64(pa, hi, lo)) {
          self.pending = { ...self.abortFault(1, depth, pa), onUpdate: true };
          return false;
        }
        self.trace?.push({ stage: 1, level: self.s1Format!.archLevels[depth]!, depth, address: pa, value: big({ hi, lo }), write: true, ...(self.stage2 ? { ipa } : {}) });
        return true;
      },
    };
  }

  private abortFault(stage: 1 | 2, depth: number, fetchAddress: number, purpose?: Stage2Purpose): TranslationFault {
    const f = stage === 1 ? this.s1Format : this.stage2?.format;
    return {
      ok: false,
      stage,
      kind: 'externalAbort',
      detail: '',
      depth,
      level: f?.archLevels[depth] ?? -1,
      address: stage === 1 ? this.s1Input : this.s2Input,
      fetchAddress,
      reads: this.reads,
      ...(stage === 2 ? { purpose } : {}),
      ...(stage === 2 && purpose === 's1-table' ? this.s1FetchInfo() : {}),
    };
  }

  private s1Input = 0;
  private s2Input = 0;

  private s1FetchInfo(): { s1Depth: number; s1Level: number } {
    return { s1Depth: this.s2ForS1Depth, s1Level: this.s1Format?.archLevels[this.s2ForS1Depth] ?? -1 };
  }

  /**
   * Translates `ipa` through the current stage 2 (identity when bypassed); on a fault sets `pending`.
   * `onUpdate` marks an A/D write-back.
   */
  private stage2Address(ipa: number, access: number, purpose: Stage2Purpose, s1Depth: number, onUpdate = false): number | undefined {
    const s2 = this.stage2;
    if (!s2) return ipa;
    this.s2Purpose = purpose;
    this.s2ForS1Depth = s1Depth;
    this.s2Input = ipa;
    const state = this.s2State;
    const stop = walkStage(s2.format, s2.root, ipa, access, this.s2Fetcher, state);
    if (stop === WalkStop.OK) return state.output;
    if (stop === WalkStop.FAULT) {
      this.pending = {
        ok: false,
        stage: 2,
        kind: state.fault,
        detail: state.faultDetail,
        depth: state.depth,
        level: state.fault === 'inputRange' ? -1 : s2.format.archLevels[state.depth]!,
        address: ipa,
        purpose,
        reads: this.reads,
        ...(onUpdate ? { onUpdate } : {}),
        ...(purpose === 's1-table' ? this.s1FetchInfo() : {}),
      };
    }
    return undefined;
  }

  /** Translates `input` (below 2^53) for the {@link Access} mask `access` under `ctx`. */
  translate(ctx: TranslationContext, input: number, access: number): TranslationResult {
    this.reads = 0;
    this.pending = undefined;
    this.stage2 = ctx.stage2;
    this.s1Input = input;
    let ipa = input;
    let permitted = ALL_PERMS;
    let cachePermitted = ALL_PERMS;
    let pageShift = 64;
    let global = true;
    let attrs1 = 0;
    let s1Level = -1;
    const s1 = ctx.stage1;
    if (s1) {
      this.s1Format = s1.format;
      const state = this.s1State;
      const stop = walkStage(s1.format, s1.root, input, access, this.s1Fetcher, state);
      if (stop === WalkStop.FETCH) return { ...this.pending!, reads: this.reads };
      if (stop === WalkStop.FAULT) {
        return {
          ok: false,
          stage: 1,
          kind: state.fault,
          detail: state.faultDetail,
          depth: state.depth,
          level: state.fault === 'inputRange' ? -1 : s1.format.archLevels[state.depth]!,
          address: input,
          reads: this.reads,
        };
      }
      ipa = state.output;
      permitted = state.permitted;
      cachePermitted = state.cachePermitted;
      pageShift = state.leafShift;
      global = state.global;
      attrs1 = state.attrs;
      s1Level = s1.format.archLevels[state.depth]!;
    }
    let output = ipa;
    let attrs2 = 0;
    let s2Level = -1;
    if (ctx.stage2) {
      const pa = this.stage2Address(ipa, access, 'output', -1);
      if (pa === undefined) return { ...this.pending!, reads: this.reads };
      output = pa;
      const st = this.s2State;
      permitted &= st.permitted;
      cachePermitted &= st.cachePermitted;
      pageShift = Math.min(pageShift, st.leafShift);
      attrs2 = st.attrs;
      s2Level = ctx.stage2.format.archLevels[st.depth]!;
    }
    if (pageShift === 64) pageShift = 12;
    return { ok: true, output, ipa, pageShift, permitted, cachePermitted, global, attrs1, attrs2, s1Level, s2Level, reads: this.reads };
  }

  /**
   * Reads `words` 32-bit words of a vendor configuration structure at `ipa` through `stage2` (identity when
   * undefined), recording it in the trace under `label`. Returns the words, or the stage-2 fault (purpose
   * `config`) / external abort (stage 2 with purpose `config` when translated, else a stage-1-less abort
   * reported as stage 2 with no level).
   */
  readThroughStage2(stage2: StageContext | undefined, ipa: number, words: number, label: string): Uint32Array | TranslationFault {
    this.reads = 0;
    this.pending = undefined;
    this.stage2 = stage2;
    const pa = this.stage2Address(ipa, Access.READ, 'config', -1);
    if (pa === undefined) return this.pending!;
    const out = new Uint32Array(words);
    for (let i = 0; i < words; i++) {
      const v = this.memory.read32(pa + i * 4);
      if (v === EXTERNAL_ABORT) {
        return { ok: false, stage: 2, kind: 'externalAbort', detail: '', depth: 0, level: -1, address: ipa, fetchAddress: pa + i * 4, purpose: 'config', reads: this.reads };
      }
      out[i] = v;
    }
    this.reads++;
    if (this.trace) {
      for (let i = 0; i < words; i += 2) {
        const entry: TraceEntry = { stage: 0, level: 0, depth: 0, address: pa + i * 4, value: big({ lo: out[i]!, hi: out[i + 1] ?? 0 }), label };
        if (stage2) entry.ipa = ipa + i * 4;
        this.trace.push(entry);
      }
    }
    return out;
  }
}

function big(v: U64): bigint {
  return (BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0);
}
