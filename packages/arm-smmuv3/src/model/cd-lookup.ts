/**
 * CD table lookup (§3.3.2, §5.3, §5.4): from an STE and a CD-table index to a checked CD, through the
 * CD and L1CD caches. Under Config 0b111 every L1CD and CD fetch is an IPA translated by the STE's stage 2
 * (§5.4.1, §3.4.3): a stage-2 fault there is reported with S2 = 1, CLASS = CD and IPA = the structure's
 * address; an abort on the structure itself is F_CD_FETCH with its PA. The table arithmetic and the
 * §3.4.3 range choices are the structures' (planCdFetch / cdAddressFromL1Cd): an L1CD with V == 0 or an
 * L2Ptr beyond the OAS (IAS when an IPA) is C_BAD_SUBSTREAMID; a CD or L1CD address indexed beyond the
 * OAS/IAS from S1ContextPtr is C_BAD_STE.
 * @packageDocumentation
 */
import { type StageContext, type TranslationFault } from '@viommu/core';
import {
  CD_BYTES,
  CD_WORDS,
  L1CD_BYTES,
  cdAddressFromL1Cd,
  checkCd,
  planCdFetch,
  type CdCheck,
  type CdLookupFault,
  type CdTranslationTable,
  type SteConfig,
} from '../structures/index';
import { createStage1Format } from '../vmsa/index';
import { l1cdKey } from './caches';
import type { CachedCd, CachedSte, Stage1Half } from './config-types';
import { isStructureAbort, readStructure, structurePa, type PipelineEnv } from './env';
import { EVENT_CODES as EventCode } from '../structures/index';
import { fail, type Failure } from './outcome';
import type { Transaction } from './transaction';
import { isRecordControlled, walkFaultEvent } from './walk-fault';
import { PtwStage1Format, type PtwSwitch } from './s2ptw';

/**
 * Fetches and checks the CD at `cdIndex` of the STE's CD table (`cdIndex` is the SubstreamID, or 0 for
 * the single CD and for S1DSS = Substream0 traffic without one).
 */
export function lookupCd(env: PipelineEnv, ste: CachedSte, cfg: SteConfig, cdIndex: number, txn: Transaction, useCache: boolean): CachedCd | Failure {
  const s1 = cfg.s1!;
  if (useCache) {
    const hit = env.caches.cd.get(txn.sid, cdIndex);
    if (hit) return hit;
  }
  const stage2 = s1.contextPtrIsIpa ? ste.stage2 : undefined;
  const plan = planCdFetch(s1, cdIndex, env.caps);
  if (!plan.ok) return lookupFault(plan, txn, cdIndex);
  let cdAddress = plan.address;
  if (plan.kind === 'l1cd') {
    const key = l1cdKey(s1.cdTableFormat === '2-level-4k' ? 1 : 2, cdIndex);
    let desc = useCache ? env.caches.l1cd.get(txn.sid, key) : undefined;
    if (!desc) {
      const words = readConfig(env, ste, stage2, plan.address, L1CD_BYTES / 4, 'L1CD');
      if (!(words instanceof Uint32Array)) return cdFetchFailure(words, plan.address, L1CD_BYTES, txn, cfg);
      desc = { lo: words[0]!, hi: words[1]! };
      if (useCache) env.caches.l1cd.set(txn.sid, key, desc);
    }
    const loc = cdAddressFromL1Cd(s1, cdIndex, desc, plan.address, env.caps);
    if (!loc.ok) return lookupFault(loc, txn, cdIndex);
    cdAddress = loc.address;
  }
  const words = readConfig(env, ste, stage2, cdAddress, CD_WORDS, 'CD');
  if (!(words instanceof Uint32Array)) return cdFetchFailure(words, cdAddress, CD_BYTES, txn, cfg);
  const entry = resolveCd(env, words, cfg, ste.ptw);
  if (useCache) env.caches.cd.set(txn.sid, cdIndex, entry);
  return entry;
}

/** A CD or L1CD read, through stage 2 under nesting, with the S2PTW check armed for its stage-2 walk. */
function readConfig(env: PipelineEnv, ste: CachedSte, stage2: StageContext | undefined, address: number, words: number, label: string) {
  if (ste.ptw) ste.ptw.armed = stage2 !== undefined;
  const r = readStructure(env, stage2, address, words, label);
  if (ste.ptw) ste.ptw.armed = false;
  return r;
}

/** C_BAD_SUBSTREAMID with the CD-table index that was being fetched (§7.3.9: always valid, no SSV). */
export function badSubstream(txn: Transaction, substreamId: number): Failure {
  const ev = txn.event(EventCode.C_BAD_SUBSTREAMID);
  ev.substreamId = substreamId;
  return fail(ev);
}

/** The event for a CD-table lookup failure found by the structures' planCdFetch / cdAddressFromL1Cd. */
function lookupFault(f: CdLookupFault, txn: Transaction, cdIndex: number): Failure {
  if (f.fault === 'C_BAD_SUBSTREAMID') return badSubstream(txn, cdIndex);
  if (f.fault === 'C_BAD_STE') return fail(txn.event(EventCode.C_BAD_STE));
  return cdFetchAbort(txn, f.fetchAddress);
}

function cdFetchAbort(txn: Transaction, fetchAddr: number): Failure {
  const ev = txn.event(EventCode.F_CD_FETCH);
  ev.fetchAddr = fetchAddr;
  return fail(ev);
}

function cdFetchFailure(fault: TranslationFault, address: number, bytes: number, txn: Transaction, cfg: SteConfig): Failure {
  if (isStructureAbort(fault)) return cdFetchAbort(txn, structurePa(fault, address, bytes));
  const ev = walkFaultEvent(fault, txn);
  return fail(ev, isRecordControlled(ev.code) && cfg.s2 !== undefined && !cfg.s2.record);
}

/**
 * Checks a CD against its STE and builds its stage-1 formats (wrapped for S2PTW when the STE has a
 * {@link PtwSwitch}).
 */
export function resolveCd(env: PipelineEnv, words: Uint32Array, ste: SteConfig, ptw?: PtwSwitch): CachedCd {
  const check: CdCheck = checkCd(words, ste, env.caps, { e2h: env.e2h });
  if (check.illegal) return { words, check };
  if (check.format !== 'aarch64') {
    return { words, check: { illegal: true, reason: 'AA32_UNSUPPORTED', message: 'VMSAv8-32 LPAE stage 1 tables are not modelled' } };
  }
  const half = (t: CdTranslationTable): Stage1Half | undefined => {
    if (!t.enabled || t.granuleBits === undefined) return undefined;
    const format = createStage1Format({
      granuleBits: t.granuleBits,
      tsz: t.txsz,
      outputBits: check.outputBits,
      oasBits: env.caps.oasBits,
      affd: check.affd,
      ha: check.ha,
      had: t.had && env.had,
      wxn: check.wxn,
      pan: check.pan,
    });
    const stage: StageContext = { format: ptw ? new PtwStage1Format(format, ptw) : format, root: t.tableBase };
    return { stage, inputBits: t.inputBits };
  };
  try {
    return { words, check, ttb0: half(check.ttb0), ttb1: half(check.ttb1) };
  } catch (e) {
    // CD.HD = 1 (stage-1 dirty-state management) is not modelled: the format refuses it. With the model's
    // default SMMU_IDR0.HTTU = 0b01 such a CD is already ILLEGAL; with HTTU = 0b1x it is reported so too.
    const message = e instanceof Error ? e.message : String(e);
    return { words, check: { illegal: true, reason: 'HTTU_UNSUPPORTED', message } };
  }
}
