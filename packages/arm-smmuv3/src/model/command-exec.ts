/**
 * Executing one command of the Non-secure Command queue (§4): configuration invalidation (§4.3), TLB
 * invalidation (§4.4), ATS/PRI/stall responses (§4.5–§4.7) and CMD_SYNC (§4.7.3). Which commands are
 * CERROR_ILL (§4.1.3) is the structures' decodeCommand: Reserved or IMPLEMENTATION DEFINED opcodes,
 * Secure-only commands, commands for unimplemented features, SSec == 1, non-zero RES0 fields (one of the
 * two behaviours §4.1.5 permits), the Reserved TLBI NUM = SCALE = TTL = 0 combination and CMD_SYNC CS == 0b11.
 *
 * Invalidation scopes and the model's choices:
 * - Configuration: {@link SmmuCaches} (CFGI_STE with Leaf also drops the L1STD walked; CFGI_CD with
 *   Leaf == 0 drops the L1CD).
 * - TLB: NH_* act on the stage-1 domain of the VMID (NO_VMID when stage 2 is not implemented, §4.4.2:
 *   the VMID parameter is then ignored); S2_IPA acts on stage-2-only entries only and leaves combined
 *   stage 1 + stage 2 entries in place, as §4.4.3.1 allows ("not required to invalidate … combined"
 *   entries; pair it with CMD_TLBI_NH_ALL or NH_VAA); S12_VMALL drops both; NSNH_ALL everything but EL2.
 * - TTL (with TG != 0) limits the invalidation to leaves of that level, the minimum scope §4.4.1.1
 *   requires; TG itself is not matched against the entry's granule (over-invalidation is allowed); Leaf
 *   has no effect because the IOTLB holds only last-level entries (no walk caches).
 * - CMD_TLBI_* with VMID wildcards (CR0.VMW) invalidate every VMID matching VMID[N:VMW].
 * @packageDocumentation
 */
import type { PhysicalMemory } from '@viommu/core';
import {
  cfgiSteRange,
  decodeCommand,
  effectiveSplit,
  tlbiRange as structuresTlbiRange,
  type Command,
  type CommandName,
  type SmmuCapabilities,
} from '../structures/index';
import type { SmmuCaches } from './caches';
import { CmdqError, Cr0, Cr2, Gerror, SmmuReg, StrtabBaseCfg } from './register-map';
import type { SmmuRegisters } from './registers';
import { TlbDomain, commandVaKey } from './tlb-tags';

/** A consumed command the model records (responses, syncs and invalidations of things it does not model). */
export interface CommandLogEntry {
  /** Architectural name. */
  readonly name: CommandName;
  /** The 16 bytes as four words. */
  readonly words: Uint32Array;
}

/** What command execution needs from the SMMU. */
export interface CommandContext {
  /** Decoded IDR0/IDR1/IDR5. */
  readonly caps: SmmuCapabilities;
  /** SMMU_IDR3 (RIL [10]). */
  readonly idr3: number;
  /** The caches invalidation acts on. */
  readonly caches: SmmuCaches;
  /** The register file (CR0.VMW, CR2.E2H, STRTAB_BASE_CFG, GERROR). */
  readonly regs: SmmuRegisters;
  /** Memory, for CMD_SYNC MSI writes. */
  readonly memory: PhysicalMemory;
  /** Where commands without a modelled effect are recorded. */
  readonly log: CommandLogEntry[];
}

/**
 * Executes one command; returns {@link CmdqError}.CERROR_NONE or the error that stops the queue. The
 * CERROR_ILL rules are the structures' decodeCommand (Reserved or IMPLEMENTATION DEFINED opcode,
 * Secure-only command, unimplemented feature, SSec == 1, non-zero RES0 field, Reserved TLBI range or
 * CMD_SYNC CS encodings).
 */
export function executeCommand(w: Uint32Array, ctx: CommandContext): number {
  const cmd = decodeCommand(w, ctx.caps);
  if (cmd.illegal) return CmdqError.CERROR_ILL;
  const caches = ctx.caches;
  switch (cmd.name) {
    case 'CMD_PREFETCH_CONFIG':
    case 'CMD_PREFETCH_ADDR':
      return CmdqError.CERROR_NONE; // Prefetches are hints; the model does not prefetch (§4.2).
    case 'CMD_CFGI_STE':
      caches.invalidateSte(cmd.fields.StreamID, cmd.fields.Leaf === 1, currentSplit(ctx));
      return CmdqError.CERROR_NONE;
    case 'CMD_CFGI_STE_RANGE': {
      const span = cfgiSteRange(cmd.fields);
      caches.invalidateSteRange(span.first, cmd.fields.Range, currentSplit(ctx));
      return CmdqError.CERROR_NONE;
    }
    case 'CMD_CFGI_CD':
      caches.invalidateCd(cmd.fields.StreamID, cmd.fields.SubstreamID, cmd.fields.Leaf === 1);
      return CmdqError.CERROR_NONE;
    case 'CMD_CFGI_CD_ALL':
      caches.invalidateCdAll(cmd.fields.StreamID);
      return CmdqError.CERROR_NONE;
    case 'CMD_TLBI_NH_ALL':
      for (const d of stage1Domains(cmd.fields.VMID, ctx)) caches.invalidateTlbDomain(d);
      return CmdqError.CERROR_NONE;
    case 'CMD_TLBI_NH_ASID':
      for (const d of stage1Domains(cmd.fields.VMID, ctx)) caches.invalidateTlbAsid(d, cmd.fields.ASID);
      return CmdqError.CERROR_NONE;
    case 'CMD_TLBI_NH_VA':
    case 'CMD_TLBI_NH_VAA': {
      const range = addressRange(cmd, vaKeyOf(cmd.fields.Address), ctx);
      const asid = cmd.name === 'CMD_TLBI_NH_VA' ? cmd.fields.ASID : undefined;
      for (const d of stage1Domains(cmd.fields.VMID, ctx)) caches.invalidateTlbRange(d, asid, range);
      return CmdqError.CERROR_NONE;
    }
    case 'CMD_TLBI_EL2_ALL':
      caches.invalidateTlbDomain(TlbDomain.EL2);
      return CmdqError.CERROR_NONE;
    case 'CMD_TLBI_EL2_ASID':
      // Only EL2-E2H entries carry ASIDs (§4.4.2.10).
      if (e2h(ctx)) caches.invalidateTlbAsid(TlbDomain.EL2, cmd.fields.ASID);
      return CmdqError.CERROR_NONE;
    case 'CMD_TLBI_EL2_VA':
    case 'CMD_TLBI_EL2_VAA': {
      const range = addressRange(cmd, vaKeyOf(cmd.fields.Address), ctx);
      // Under E2H == 0 the ASID parameter is ignored (§4.4.2.8).
      const asid = cmd.name === 'CMD_TLBI_EL2_VA' && e2h(ctx) ? cmd.fields.ASID : undefined;
      caches.invalidateTlbRange(TlbDomain.EL2, asid, range);
      return CmdqError.CERROR_NONE;
    }
    case 'CMD_TLBI_S12_VMALL':
      for (const vmid of vmidsMatching(cmd.fields.VMID, ctx)) {
        caches.invalidateTlbDomain(vmid);
        caches.invalidateTlbDomain(TlbDomain.STAGE2_ONLY + vmid);
      }
      return CmdqError.CERROR_NONE;
    case 'CMD_TLBI_S2_IPA': {
      const range = addressRange(cmd, cmd.fields.Address, ctx);
      for (const vmid of vmidsMatching(cmd.fields.VMID, ctx)) caches.invalidateTlbRange(TlbDomain.STAGE2_ONLY + vmid, undefined, range);
      return CmdqError.CERROR_NONE;
    }
    case 'CMD_TLBI_NSNH_ALL':
      caches.invalidateTlbAllNonHyp();
      return CmdqError.CERROR_NONE;
    case 'CMD_SYNC':
      return sync(cmd.fields, w, ctx);
    default:
      // CMD_ATC_INV (no ATCs), CMD_PRI_RESP (no PRI queue), CMD_RESUME / CMD_STALL_TERM (no transaction
      // ever stalls: §4.7.1, a STAG that matches no stalled transaction is a no-op).
      ctx.log.push({ name: cmd.name, words: Uint32Array.from(w) });
      return CmdqError.CERROR_NONE;
  }
}

function e2h(ctx: CommandContext): boolean {
  return (ctx.regs.get(SmmuReg.CR2) & Cr2.E2H) !== 0;
}

/** The effective SPLIT of a 2-level Stream table, or undefined for a linear table (no L1STDs). */
function currentSplit(ctx: CommandContext): number | undefined {
  const cfg = ctx.regs.get(SmmuReg.STRTAB_BASE_CFG);
  const twoLevel = ctx.caps.stLevel !== 0 && ((cfg >>> StrtabBaseCfg.FMT_SHIFT) & 3) === 1;
  return twoLevel ? effectiveSplit((cfg >>> StrtabBaseCfg.SPLIT_SHIFT) & 0x1f) : undefined;
}

/**
 * The VMIDs a TLBI's VMID parameter matches: exactly that VMID, or with CR0.VMW = k (1..4, when
 * implemented) every VMID equal to it in bits [N:k] (§6.3.9 VMW).
 */
function vmidsMatching(vmid: number, ctx: CommandContext): number[] {
  const vmw = ctx.caps.vmw ? (ctx.regs.cr0ack & Cr0.VMW_MASK) >>> 6 : 0;
  const k = vmw >= 1 && vmw <= 4 ? vmw : 0;
  const base = vmid - (vmid % 2 ** k);
  return Array.from({ length: 2 ** k }, (_, i) => base + i);
}

/** The stage-1 domains a CMD_TLBI_NH_* addresses (§4.4.2: the VMID is ignored without stage 2). */
function stage1Domains(vmid: number, ctx: CommandContext): number[] {
  return ctx.caps.s2p ? vmidsMatching(vmid, ctx) : [TlbDomain.NO_VMID];
}

/** The IOTLB key of a command's VA (Address[63:12] as a bigint). */
function vaKeyOf(address: bigint): number {
  return commandVaKey(Number(address >> 32n), Number(address & 0xffff_ffffn));
}

/**
 * The key range and level filter of an address-based TLBI (§4.4.1.1): with TG == 0 (or without
 * IDR3.RIL) the one entry containing the address, any level; with TG != 0 the structures' tlbiRange,
 * (NUM + 1) × 2^SCALE granules from the address, and TTL != 0 limits the scope to leaves of that level.
 */
function addressRange(cmd: Extract<Command, { fields: { TG: number } }>, start: number, ctx: CommandContext): { start: number; size: number; level?: number } {
  const ril = (ctx.idr3 & (1 << 10)) !== 0;
  const f = cmd.fields;
  const span = ril ? structuresTlbiRange({ TG: f.TG, NUM: f.NUM, SCALE: f.SCALE, Address: 0 }) : undefined;
  if (span === undefined) return { start, size: 1 };
  const size = Number(span.length);
  return f.TTL === 0 ? { start, size } : { start, size, level: f.TTL };
}

/**
 * CMD_SYNC (§4.7.3): every earlier command has completed by the time it is consumed. CS == SIG_IRQ with
 * a non-zero MSIAddress on an SMMU with MSIs writes MSIData there (the completion MSI, address truncated
 * to the OAS, §3.4.3); an abort on that write activates GERROR.MSI_CMDQ_ABT_ERR.
 */
function sync(f: Extract<Command, { name: 'CMD_SYNC' }>['fields'], w: Uint32Array, ctx: CommandContext): number {
  ctx.log.push({ name: 'CMD_SYNC', words: Uint32Array.from(w) });
  if (f.CS !== 1 || !ctx.caps.msi || f.MSIAddress === 0) return CmdqError.CERROR_NONE;
  const address = f.MSIAddress % 2 ** ctx.caps.oasBits;
  if (!ctx.memory.write32(address, f.MSIData)) ctx.regs.raiseGlobalError(Gerror.MSI_CMDQ_ABT_ERR);
  return CmdqError.CERROR_NONE;
}
