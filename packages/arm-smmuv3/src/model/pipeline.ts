/**
 * The translation pipeline of an enabled SMMU (§3.3, §3.4, §5.2 S1DSS, §7.3): STE → Config →
 * SubstreamID rules → CD → TTB0/TTB1 selection and VA range checks → IOTLB → stage-1 and stage-2 walks
 * (the core nested translator) → architected events for every fault.
 * @packageDocumentation
 */
import { GLOBAL_SUBTAG, alignDown, permissionNeeded, type StageContext, type TranslationFault, type TranslationSuccess } from '@viommu/core';
import { resolveSubstream, type SteConfig, type StreamTableConfig } from '../structures/index';
import { badSubstream, lookupCd } from './cd-lookup';
import type { CachedSte, Stage1Half } from './config-types';
import type { PipelineEnv } from './env';
import { EVENT_CODES as EventCode } from '../structures/index';
import { EventClass } from './event-spec';
import { fail, isFailure, type Failure } from './outcome';
import { lookupSte } from './ste-lookup';
import { TlbDomain, vaKey } from './tlb-tags';
import type { SmmuTlbEntry } from './caches';
import type { Transaction } from './transaction';
import { selectsTtb1, vaInRange, walkInput } from './va-range';
import { isRecordControlled, walkFaultEvent } from './walk-fault';

/** A successful translation, as the pipeline returns it. */
export interface PipelineSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** Output PA. */
  readonly output: number;
  /** The stage-1 output (IPA); the input when stage 1 is bypassed. */
  readonly ipa: number;
  /** log2 of the page the translation holds for. */
  readonly pageShift: number;
  /** Permissions granted (core Perm bits). */
  readonly permitted: number;
  /** Served from the IOTLB. */
  readonly cached: boolean;
}

/** Translates a transaction through the STE found for it. */
export function translateEnabled(env: PipelineEnv, table: StreamTableConfig, txn: Transaction, useCache: boolean): PipelineSuccess | Failure {
  const ste = lookupSte(env, table, txn, useCache);
  if (isFailure(ste)) return ste;
  const cfg = ste.check;
  if (cfg.illegal) return fail(txn.event(EventCode.C_BAD_STE));
  const attrs = cfg.attributes;
  if (attrs && env.caps.attrPermsOvr) txn.applyOverrides(attrs.privCfg, attrs.instCfg);
  // SubstreamID rules (§5.2 S1DSS, §7.3.7, §7.3.9), decided by the structures' resolveSubstream.
  const decision = resolveSubstream(cfg, env.caps, txn.ssv ? txn.ssid : undefined);
  switch (decision.action) {
    case 'abort':
      return { failed: 'abort', reason: 'STE_ABORT' };
    case 'no-stage1':
      return stage1Bypassed(env, ste, cfg, txn, useCache);
    case 'terminate':
      return decision.fault === 'F_STREAM_DISABLED' ? fail(txn.event(EventCode.F_STREAM_DISABLED)) : badSubstream(txn, txn.ssid);
    default:
      break;
  }
  const cdIndex = decision.cdIndex;
  const cd = lookupCd(env, ste, cfg, cdIndex, txn, useCache);
  if (isFailure(cd)) return cd;
  const cdCfg = cd.check;
  if (cdCfg.illegal) return fail(txn.event(EventCode.C_BAD_CD));
  const ttb1 = selectsTtb1(txn.hi);
  const table1 = ttb1 ? cdCfg.ttb1 : cdCfg.ttb0;
  const half: Stage1Half | undefined = ttb1 ? cd.ttb1 : cd.ttb0;
  // A disabled half (EPDx = 1), a VA outside the half, or E0PDx for an unprivileged access: stage-1
  // F_TRANSLATION with CLASS = IN (§3.4, §5.4.1.1).
  if (!half || !vaInRange(txn.hi, txn.lo, half.inputBits, table1.tbi) || (table1.e0pd && env.e0pd && !txn.priv)) {
    const ev = txn.event(EventCode.F_TRANSLATION);
    ev.cls = EventClass.IN;
    return fail(ev);
  }
  const domain = stage1Domain(env, cfg);
  const asid = cdCfg.asid ?? GLOBAL_SUBTAG;
  const key = vaKey(txn.hi, txn.lo);
  const access = txn.walkAccess;
  if (useCache) {
    const hit = env.caches.tlb.lookup(domain, asid, key);
    if (hit) {
      const cached = fromTlb(hit, key, access);
      if (cached) return cached;
    }
  }
  const input = walkInput(txn.hi, txn.lo, half.inputBits);
  if (ste.ptw) ste.ptw.armed = true; // the stage-1 format disarms it after its last descriptor
  const result = env.translator.translate({ stage1: half.stage, stage2: ste.stage2 }, input, access);
  if (!result.ok) return walkFailure(result, txn, cfg, cdCfg.record);
  if (useCache) {
    const leafShift = leafShiftOf(half.stage, result.s1Level);
    insertTlb(env, domain, result.global ? GLOBAL_SUBTAG : asid, key, result, leafShift, true, ste.stage2 !== undefined);
  }
  return success(result, false);
}

/**
 * Stage 1 bypassed (Config 0b100 / 0b110, or S1DSS = Bypass for traffic without a SubstreamID): the
 * input is the IPA. Beyond the IAS (Config 0b100: beyond the OAS) it is a stage-1 F_ADDR_SIZE with
 * CLASS = IN (§3.4); otherwise stage 2, if enabled, translates it.
 */
function stage1Bypassed(env: PipelineEnv, ste: CachedSte, cfg: SteConfig, txn: Transaction, useCache: boolean): PipelineSuccess | Failure {
  const stage2: StageContext | undefined = ste.stage2;
  const limitBits = cfg.kind === 'bypass' ? env.caps.oasBits : env.caps.ias;
  if (txn.addressAtOrAbove(limitBits)) {
    const ev = txn.event(EventCode.F_ADDR_SIZE);
    ev.cls = EventClass.IN;
    return fail(ev);
  }
  const ipa = txn.addressNumber;
  if (!stage2) return { ok: true, output: ipa, ipa, pageShift: 12, permitted: 63, cached: false };
  const access = txn.walkAccess;
  const domain = TlbDomain.STAGE2_ONLY + (cfg.vmid ?? 0);
  if (useCache) {
    const hit = env.caches.tlb.lookup(domain, GLOBAL_SUBTAG, ipa);
    if (hit) {
      const cached = fromTlb(hit, ipa, access);
      if (cached) return cached;
    }
  }
  if (ste.ptw) ste.ptw.armed = false;
  const result = env.translator.translate({ stage2 }, ipa, access);
  if (!result.ok) return walkFailure(result, txn, cfg, true);
  if (useCache) insertTlb(env, domain, GLOBAL_SUBTAG, ipa, result, result.pageShift, false, true);
  return success(result, false);
}

/**
 * The event for a walk fault, unrecorded when the faulting stage does not record translation-related
 * faults (CD.R == 0 for stage 1, STE.S2R == 0 for stage 2).
 */
function walkFailure(fault: TranslationFault, txn: Transaction, cfg: SteConfig, s1Record: boolean): Failure {
  const ev = walkFaultEvent(fault, txn);
  const record = ev.s2 ? (cfg.s2?.record ?? true) : s1Record;
  return fail(ev, isRecordControlled(ev.code) && !record);
}

/** The IOTLB domain of a stream's stage-1 (or nested) translations ({@link TlbDomain}). */
function stage1Domain(env: PipelineEnv, cfg: SteConfig): number {
  if (cfg.streamWorld === 'NS-EL2') return TlbDomain.EL2;
  return env.caps.s2p && cfg.vmid !== undefined ? cfg.vmid : TlbDomain.NO_VMID;
}

function success(r: TranslationSuccess, cached: boolean): PipelineSuccess {
  return { ok: true, output: r.output, ipa: r.ipa, pageShift: r.pageShift, permitted: r.permitted, cached };
}

/** A hit that permits the access; a hit that does not is treated as a miss (the walk reports the fault). */
function fromTlb(e: SmmuTlbEntry, key: number, access: number): PipelineSuccess | undefined {
  const need = permissionNeeded(access);
  if ((e.permitted & need) !== need) return undefined;
  const offset = key - e.input;
  return { ok: true, output: e.output + offset, ipa: e.ipa + offset, pageShift: e.pageShift, permitted: e.granted ?? e.permitted, cached: true };
}

/** log2 of the span of a leaf at architectural level `level` of a stage. */
function leafShiftOf(stage: StageContext, level: number): number {
  const f = stage.format;
  return f.shifts[f.archLevels.indexOf(level)] ?? f.granuleShift;
}

function insertTlb(
  env: PipelineEnv,
  domain: number,
  subTag: number,
  key: number,
  r: TranslationSuccess,
  leafShift: number,
  hasStage1: boolean,
  hasStage2: boolean,
): void {
  if (env.caches.tlb.capacity === 0) return;
  const offset = key - alignDown(key, r.pageShift);
  env.caches.tlb.insert(domain, subTag, {
    leafBase: alignDown(key, leafShift),
    leafShift,
    input: key - offset,
    output: r.output - offset,
    ipa: r.ipa - offset,
    pageShift: r.pageShift,
    permitted: r.cachePermitted,
    granted: r.permitted,
    level: hasStage1 ? r.s1Level : r.s2Level,
    s1Level: r.s1Level,
    s2Level: r.s2Level,
    attrs1: r.attrs1,
    attrs2: r.attrs2,
    hasStage1,
    hasStage2,
  });
}
