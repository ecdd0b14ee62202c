/**
 * The device model's translation pipeline (VT-d spec §3.4–§3.8 and the fault conditions of §7.1.3):
 * legacy mode (root → context → second level or pass-through) and scalable mode (root → scalable context →
 * PASID directory → PASID entry → first level, second level, nested or pass-through), with the context,
 * PASID and IOTLB caches consulted and filled along the way. Faults come back as values carrying the reason
 * and the FPD that applies; recording them is the caller's job.
 * @packageDocumentation
 */
import {
  Access,
  alignDown,
  Perm,
  permissionNeeded,
  type NestedTranslator,
  type PhysicalMemory,
  type TraceEntry,
  type TranslationContext,
  type TranslationFault,
} from '@viommu/core';
import { firstLevelWalkInput, isCanonical, vtdFaultReasonForWalk, type VtdWalkMode } from '../paging/index';
import {
  checkLegacyContextEntry,
  checkLegacyRootEntry,
  checkPasidDirectoryEntry,
  checkPasidEntry,
  checkScalableContextEntry,
  checkScalableRootEntry,
  pasidDirectoryEntryAddress,
  pasidEntryAddress,
  routeScalableContextRequest,
  TranslationTableMode,
  VtdFaultReason,
  type VtdCapabilities,
} from '../structures/index';
import { LEGACY_SUBTAG, type VtdCaches } from './caches';
import type { NormalizedRequest } from './request';
import { legacyContextView, pasidView, scalableContextView, type ContextView, type PasidView } from './views';

/** What the pipeline needs from the remapping unit. */
export interface TranslationUnit {
  /** Host physical memory holding every table. */
  readonly memory: PhysicalMemory;
  /** Decoded CAP/ECAP. */
  readonly caps: VtdCapabilities;
  /** Host address width in bits. */
  readonly haw: number;
  /** The unit's caches. */
  readonly caches: VtdCaches<ContextView, PasidView>;
  /** The walker. */
  readonly translator: NestedTranslator;
  /** Root table address latched by the last SRTP. */
  readonly rootTable: number;
  /** TTM latched by the last SRTP. */
  readonly ttm: number;
}

/** Per-translation switches. */
export interface PipelineOptions {
  /** Append every configuration and descriptor read here. */
  readonly trace?: TraceEntry[] | undefined;
  /** Bypass every cache for this request, filling none. */
  readonly uncached?: boolean | undefined;
}

/** A successful translation. */
export interface PipelineSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** Host physical address. */
  readonly output: number;
  /** log2 of the page the translation is valid for. */
  readonly pageShift: number;
  /** Core Perm bits granted. */
  readonly permitted: number;
  /** Served from the IOTLB. */
  readonly cached: boolean;
}

/** A translation fault before recording. */
export interface PipelineFault {
  /** Discriminant. */
  readonly ok: false;
  /** Fault reason (FR). */
  readonly reason: number;
  /** The FPD bits that apply (context, PASID-directory or PASID entry). */
  readonly fpd: boolean;
  /** The page-walk fault, when the fault came from a walk. */
  readonly walk?: TranslationFault | undefined;
}

/** Either outcome. */
export type PipelineResult = PipelineSuccess | PipelineFault;

/** Trace depth given to each configuration structure (stage 0 entries). */
const ConfigDepth = { ROOT: 0, CONTEXT: 1, PASID_DIRECTORY: 2, PASID_ENTRY: 3 } as const;

function fault(reason: number, fpd: boolean, walk?: TranslationFault): PipelineFault {
  return walk ? { ok: false, reason, fpd, walk } : { ok: false, reason, fpd };
}

const scratch = { hi: 0, lo: 0 };

/** Reads `qwords` 64-bit words of a configuration structure, tracing each; undefined on an external abort. */
function readStructure(
  memory: PhysicalMemory,
  address: number,
  qwords: number,
  label: string,
  depth: number,
  trace: TraceEntry[] | undefined,
): Uint32Array | undefined {
  const words = new Uint32Array(qwords * 2);
  for (let i = 0; i < qwords; i++) {
    if (!memory.read64(address + i * 8, scratch)) return undefined;
    words[2 * i] = scratch.lo;
    words[2 * i + 1] = scratch.hi;
    trace?.push({
      stage: 0,
      level: 0,
      depth,
      address: address + i * 8,
      value: (BigInt(scratch.hi >>> 0) << 32n) | BigInt(scratch.lo >>> 0),
      label,
    });
  }
  return words;
}

/** Translates one request with translation enabled. */
export function runPipeline(unit: TranslationUnit, req: NormalizedRequest, options: PipelineOptions): PipelineResult {
  const ttm = unit.ttm;
  if (ttm === TranslationTableMode.LEGACY) return legacy(unit, req, options);
  if (ttm === TranslationTableMode.SCALABLE && unit.caps.smts) return scalable(unit, req, options);
  // TTM 10b is reserved; 01b needs ECAP.SMTS; abort-DMA mode (11b) is not modelled (ECAP.ADMS is never
  // honoured), so it is an invalid root table address mode as well (RTA.1).
  return fault(VtdFaultReason.SM_ROOT_TABLE_ADDRESS_INVALID, false);
}

function legacy(unit: TranslationUnit, req: NormalizedRequest, options: PipelineOptions): PipelineResult {
  if (req.pasid !== undefined) return fault(VtdFaultReason.SM_TTM_LEGACY_PASID_REQUEST, false);
  const { caches, memory, caps, haw } = unit;
  const trace = options.trace;
  let view = options.uncached ? undefined : caches.getContext(req.sourceId);
  if (view?.mode !== 'legacy') {
    const bus = req.sourceId >>> 8;
    const devfn = req.sourceId & 0xff;
    const rootWords = readStructure(memory, unit.rootTable + bus * 16, 2, 'root entry', ConfigDepth.ROOT, trace);
    if (!rootWords) return fault(VtdFaultReason.ROOT_TABLE_ACCESS_ERROR, false);
    const root = checkLegacyRootEntry(rootWords, devfn, haw);
    if (!root.ok) return fault(root.reason, false);
    const ctxWords = readStructure(memory, root.value.contextEntryAddress, 2, 'context entry', ConfigDepth.CONTEXT, trace);
    if (!ctxWords) return fault(VtdFaultReason.CONTEXT_TABLE_ACCESS_ERROR, false);
    const ctx = checkLegacyContextEntry(ctxWords, caps, haw);
    if (!ctx.ok) return fault(ctx.reason, ctx.fpd);
    view = legacyContextView(ctx.value, caps, haw);
    if (!options.uncached) caches.setContext(req.sourceId, view);
  }
  // Requests without PASID carry neither PR nor ER: an untranslated legacy request is a plain read or write.
  const access = req.access & (Access.READ | Access.WRITE);
  if (view.passThrough) return passThrough(req, haw, VtdFaultReason.ADDRESS_BEYOND_MGAW, view.fpd);
  return walk(unit, req, options, view.did, LEGACY_SUBTAG, { stage2: view.stage2 }, 'legacy', access, req.page, view.fpd);
}

function scalable(unit: TranslationUnit, req: NormalizedRequest, options: PipelineOptions): PipelineResult {
  const { caches, memory, caps, haw } = unit;
  const trace = options.trace;
  let view = options.uncached ? undefined : caches.getContext(req.sourceId);
  if (view?.mode !== 'scalable') {
    const bus = req.sourceId >>> 8;
    const devfn = req.sourceId & 0xff;
    const rootWords = readStructure(memory, unit.rootTable + bus * 16, 2, 'root entry', ConfigDepth.ROOT, trace);
    if (!rootWords) return fault(VtdFaultReason.SM_ROOT_ENTRY_ACCESS_ERROR, false);
    const root = checkScalableRootEntry(rootWords, devfn, haw);
    if (!root.ok) return fault(root.reason, false);
    const ctxWords = readStructure(memory, root.value.contextEntryAddress, 4, 'context entry', ConfigDepth.CONTEXT, trace);
    if (!ctxWords) return fault(VtdFaultReason.SM_CONTEXT_ENTRY_ACCESS_ERROR, false);
    const ctx = checkScalableContextEntry(ctxWords, caps, haw);
    if (!ctx.ok) return fault(ctx.reason, ctx.fpd);
    view = scalableContextView(ctx.value);
    if (!options.uncached) caches.setContext(req.sourceId, view);
  }
  const ctx = view.config;
  const route = routeScalableContextRequest(ctx, { pasid: req.pasid });
  if (!route.ok) return fault(route.reason, route.fpd);
  const pasid = route.value.pasid;
  // A request without PASID takes its privilege from RID_PRIV and never requests execute permission.
  let access = req.access;
  if (req.pasid === undefined) access = (access & (Access.READ | Access.WRITE)) | (ctx.ridPriv ? Access.PRIV : 0);

  let pv = options.uncached ? undefined : caches.pasid.get(req.sourceId, pasid);
  if (!pv) {
    const dirWords = readStructure(memory, pasidDirectoryEntryAddress(ctx.pasidDirectoryAddress, pasid), 1, 'PASID directory entry', ConfigDepth.PASID_DIRECTORY, trace);
    if (!dirWords) return fault(VtdFaultReason.SM_PASID_DIR_ACCESS_ERROR, view.fpd);
    const dir = checkPasidDirectoryEntry(dirWords, haw);
    if (!dir.ok) return fault(dir.reason, view.fpd || dir.fpd);
    const entryWords = readStructure(memory, pasidEntryAddress(dir.value.pasidTableAddress, pasid), 8, 'PASID entry', ConfigDepth.PASID_ENTRY, trace);
    if (!entryWords) return fault(VtdFaultReason.SM_PASID_ENTRY_ACCESS_ERROR, view.fpd || dir.value.fpd);
    const entry = checkPasidEntry(entryWords, caps, haw);
    if (!entry.ok) return fault(entry.reason, view.fpd || dir.value.fpd || entry.fpd);
    pv = pasidView(entry.value, dir.value.fpd, caps, haw);
    if (!options.uncached) caches.pasid.set(req.sourceId, pasid, pv);
  }
  const fpd = view.fpd || pv.fpd;
  const pe = pv.config;
  if (access & Access.EXEC && !pe.ere) return fault(VtdFaultReason.SM_ERE_CLEAR, fpd);
  if (access & Access.PRIV && !pe.sre) return fault(VtdFaultReason.SM_SRE_CLEAR, fpd);
  if (pv.walkMode === undefined) return passThrough(req, haw, VtdFaultReason.SM_ADDRESS_BEYOND_MAX, fpd);
  let input = req.page;
  const fl = pe.firstLevel;
  if (fl) {
    if (!isCanonical(req.hi, req.lo, fl.levels)) return fault(VtdFaultReason.SM_NON_CANONICAL, fpd);
    input = firstLevelWalkInput(req.hi, req.lo - req.offset, fl.levels);
  }
  return walk(unit, req, options, pv.did, pasid, pv.context, pv.walkMode, access, input, fpd);
}

/** Pass-through (legacy TT = 10b, PGTT = 100b): output = input, faulting beyond the host address width. */
function passThrough(req: NormalizedRequest, haw: number, beyondReason: number, fpd: boolean): PipelineResult {
  if (req.page >= 2 ** haw) return fault(beyondReason, fpd);
  return { ok: true, output: req.page + req.offset, pageShift: 12, permitted: Perm.ALL, cached: false };
}

/** IOTLB lookup, else a walk of `context` for the page-aligned `input`, filling the IOTLB on success. */
function walk(
  unit: TranslationUnit,
  req: NormalizedRequest,
  options: PipelineOptions,
  did: number,
  subTag: number,
  context: TranslationContext,
  mode: VtdWalkMode,
  access: number,
  input: number,
  fpd: boolean,
): PipelineResult {
  const iotlb = unit.caches.iotlb;
  const need = permissionNeeded(access);
  if (!options.uncached) {
    const hit = iotlb.lookup(did, subTag, input);
    // An entry lacking a right (or whose write would still need a D update) is re-walked, never faulted.
    if (hit && (hit.permitted & need) === need) {
      return { ok: true, output: hit.output + (input - hit.input) + req.offset, pageShift: hit.pageShift, permitted: hit.granted ?? hit.permitted, cached: true };
    }
  }
  const translator = unit.translator;
  translator.trace = options.trace;
  const result = translator.translate(context, input, access);
  translator.trace = undefined;
  if (!result.ok) return fault(vtdFaultReasonForWalk(result, mode, access), fpd, result);
  if (!options.uncached) {
    const base = alignDown(input, result.pageShift);
    const hasStage1 = context.stage1 !== undefined;
    iotlb.insert(did, subTag, {
      input: base,
      output: result.output - (input - base),
      pageShift: result.pageShift,
      permitted: result.cachePermitted,
      granted: result.permitted,
      level: hasStage1 ? result.s1Level : result.s2Level,
      ipa: result.ipa - (input - base),
      hasStage1,
      hasStage2: context.stage2 !== undefined,
    });
  }
  return { ok: true, output: result.output + req.offset, pageShift: result.pageShift, permitted: result.permitted, cached: false };
}
