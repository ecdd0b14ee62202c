import type { PhysicalMemory, TraceEntry } from '@viommu/core';
import { Cr0, SmmuReg, SmmuV3Model } from '@viommu/arm-smmuv3';
import { toHex } from '../hex';
import { countReads, permString, type TranslateJson } from './outcome';
import { accessBits, type CliRequest } from './request';
import type { TranslateBackend } from './backend';

/** The registers `viommu translate --iommu smmuv3` takes. */
export interface SmmuRegisters {
  /** SMMU_STRTAB_BASE. */
  strtabBase: bigint;
  /** SMMU_STRTAB_BASE_CFG. */
  strtabBaseCfg: bigint;
  /** SMMU_IDR0, or the model's fully featured default. */
  idr0?: bigint | undefined;
  /** SMMU_IDR1. */
  idr1?: bigint | undefined;
  /** SMMU_IDR5. */
  idr5?: bigint | undefined;
}

const CLASS_NAMES = ['CD', 'TT', 'IN'];

/**
 * An SMMUv3 over the dump's memory, programmed the way the driver left it: STRTAB_BASE and
 * STRTAB_BASE_CFG written, SMMUEN set. Caches are off (each request is a cold lookup, as a debugger wants).
 */
export function smmuv3Backend(memory: PhysicalMemory, regs: SmmuRegisters): TranslateBackend {
  const model = new SmmuV3Model(memory, {
    ...(regs.idr0 !== undefined ? { idr0: Number(regs.idr0) } : {}),
    ...(regs.idr1 !== undefined ? { idr1: Number(regs.idr1) } : {}),
    ...(regs.idr5 !== undefined ? { idr5: Number(regs.idr5) } : {}),
  });
  model.writeRegister(SmmuReg.STRTAB_BASE, regs.strtabBase, 8);
  model.writeRegister(SmmuReg.STRTAB_BASE_CFG, regs.strtabBaseCfg, 4);
  model.writeRegister(SmmuReg.CR0, BigInt(Cr0.SMMUEN), 4);
  return {
    schema: { pasidField: 'ssid', maxSid: 0xffff_ffff },
    translate(req: CliRequest, trace: TraceEntry[]): TranslateJson {
      const r = model.translate({ streamId: req.sid, substreamId: req.pasid, address: req.iova, access: accessBits(req) }, { trace, uncached: true });
      if (r.ok) return { ok: true, pa: toHex(r.output), pageSize: 2 ** r.pageShift, perm: permString(r.permitted, req.privileged), reads: countReads(trace) };
      if (!r.event) {
        return { ok: false, fault: { name: 'ABORT', code: 0, silent: true, reason: r.abort ?? 'abort', address: toHex(req.iova) } };
      }
      const ev = r.event;
      const f = ('fields' in ev ? ev.fields : {}) as Record<string, number | bigint | undefined>;
      const fault: Record<string, string | number | boolean | null> = { name: ev.name, code: ev.code };
      if (f.S2 !== undefined) fault.stage = Number(f.S2) ? 2 : 1;
      if (f.CLASS !== undefined) fault.class = CLASS_NAMES[Number(f.CLASS)] ?? `class ${Number(f.CLASS)}`;
      if (f.IPA !== undefined) fault.ipa = toHex(f.IPA);
      fault.address = toHex(f.InputAddr !== undefined ? f.InputAddr : req.iova);
      if (f.FetchAddr !== undefined) fault.fetchAddress = toHex(f.FetchAddr);
      if (f.StreamID !== undefined) fault.streamId = Number(f.StreamID);
      if (f.SSV !== undefined && Number(f.SSV)) fault.substreamId = Number(f.SubstreamID);
      fault.recorded = r.recorded;
      return { ok: false, fault };
    },
  };
}
