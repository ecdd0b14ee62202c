/**
 * Stream table lookup (§3.3.2, §5.1, §5.2): from a StreamID to a checked STE, through the STE and L1STD
 * caches. C_BAD_STREAMID for an out-of-range StreamID or an unusable L1STD (§7.3.3), F_STE_FETCH for an
 * aborted (or beyond-OAS) L1STD/STE fetch (§7.3.4). ILLEGAL STEs are cached with their check result.
 * @packageDocumentation
 */
import { NO_PASID, type PageTableFormat, type StageContext } from '@viommu/core';
import {
  L1STD_BYTES,
  STE_BYTES,
  STE_WORDS,
  checkSte,
  l1StdAddress,
  steAddressFromL1Std,
  type SteCheck,
  type StreamTableConfig,
} from '../structures/index';
import { createStage2Format } from '../vmsa/index';
import type { CachedSte } from './config-types';
import { readStructure, type PipelineEnv } from './env';
import { EVENT_CODES as EventCode } from '../structures/index';
import { fail, type Failure } from './outcome';
import { PtwStage2Format, PtwSwitch } from './s2ptw';
import type { Transaction } from './transaction';

/** Finds, fetches and checks the STE of the transaction's StreamID. */
export function lookupSte(env: PipelineEnv, table: StreamTableConfig, txn: Transaction, useCache: boolean): CachedSte | Failure {
  const sid = txn.sid;
  // The range check comes first: it depends only on registers, never on cached state.
  // sid ≥ 2^log2Size, with shifts rather than `2 **` (a slow library call in V8).
  if (table.log2Size < 32 && sid >>> table.log2Size !== 0) return fail(txn.event(EventCode.C_BAD_STREAMID));
  if (useCache) {
    const hit = env.caches.ste.get(sid, NO_PASID);
    if (hit) return hit;
  }
  let steAddress: number;
  if (table.format === 'linear') {
    steAddress = table.base + sid * STE_BYTES;
    if (steAddress >= 2 ** table.oasBits) return steFetchFault(txn, steAddress);
  } else {
    const l1 = l1StdAddress(table, sid);
    if (!l1.ok) return l1.fault === 'C_BAD_STREAMID' ? fail(txn.event(EventCode.C_BAD_STREAMID)) : steFetchFault(txn, l1.fetchAddress);
    const l1Index = Math.floor(sid / 2 ** table.split);
    let desc = useCache ? env.caches.l1std.get(l1Index, NO_PASID) : undefined;
    if (!desc) {
      const words = readStructure(env, undefined, l1.address, L1STD_BYTES / 4, 'L1STD');
      if (!(words instanceof Uint32Array)) return steFetchFault(txn, l1.address);
      desc = { lo: words[0]!, hi: words[1]! };
      if (useCache) env.caches.l1std.set(l1Index, NO_PASID, desc);
    }
    const loc = steAddressFromL1Std(table, sid, desc, l1.address);
    if (!loc.ok) return loc.fault === 'C_BAD_STREAMID' ? fail(txn.event(EventCode.C_BAD_STREAMID)) : steFetchFault(txn, loc.fetchAddress);
    steAddress = loc.address;
  }
  const words = readStructure(env, undefined, steAddress, STE_WORDS, 'STE');
  if (!(words instanceof Uint32Array)) return steFetchFault(txn, steAddress);
  const entry = resolveSte(env, words);
  if (useCache) env.caches.ste.set(sid, NO_PASID, entry);
  return entry;
}

function steFetchFault(txn: Transaction, fetchAddr: number): Failure {
  const ev = txn.event(EventCode.F_STE_FETCH);
  ev.fetchAddr = fetchAddr;
  return fail(ev);
}

/** Checks an STE and builds its stage-2 tables. */
export function resolveSte(env: PipelineEnv, words: Uint32Array): CachedSte {
  const check: SteCheck = checkSte(words, env.caps);
  if (check.illegal || !check.s2) return { words, check };
  const s2 = check.s2;
  if (s2.format !== 'aarch64') {
    // VMSAv8-32 LPAE stage 2 is not modelled; an SMMU that reports TTF[0] makes such an STE legal.
    return { words, check: { illegal: true, reason: 'S2AA64_UNSUPPORTED', message: 'VMSAv8-32 LPAE stage 2 tables are not modelled' } };
  }
  let format: PageTableFormat;
  try {
    format = createStage2Format({
      granuleBits: s2.granuleBits,
      t0sz: s2.t0sz,
      sl0: s2.sl0,
      outputBits: s2.outputBits,
      oasBits: env.caps.oasBits,
      affd: s2.affd,
      ha: s2.ha,
      hd: s2.hd,
      xnx: env.xnx,
    });
  } catch (e) {
    // A legal STE the VMSA formats cannot walk (not expected: the checks agree); report it as ILLEGAL.
    const message = e instanceof Error ? e.message : String(e);
    return { words, check: { illegal: true, reason: 'S2SL0_INCONSISTENT', message: `stage 2 not walkable: ${message}` } };
  }
  // S2PTW matters only when stage 1 walks through stage 2; with S2FWB the Device encoding differs.
  if (s2.ptw && !s2.fwb && check.s1) {
    const ptw = new PtwSwitch();
    return { words, check, stage2: { format: new PtwStage2Format(format, ptw), root: s2.tableBase }, ptw };
  }
  const stage2: StageContext = { format, root: s2.tableBase };
  return { words, check, stage2 };
}
