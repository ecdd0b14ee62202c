import type { PhysicalMemory, TraceEntry } from '@viommu/core';
import { Gcmd, VtdModel, VtdRegister } from '@viommu/intel-vtd';
import { toHex } from '../hex';
import { countReads, permString, type TranslateJson } from './outcome';
import { accessBits, type CliRequest } from './request';
import type { TranslateBackend } from './backend';

/** The registers `viommu translate --iommu vtd` takes. */
export interface VtdRegisters {
  /** RTADDR_REG (root table address and TTM). */
  rtaddr: bigint;
  /** CAP_REG, or the model's fully featured default. */
  cap?: bigint | undefined;
  /** ECAP_REG. */
  ecap?: bigint | undefined;
}

/**
 * A VT-d remapping unit over the dump's memory, programmed the way the driver left it: RTADDR written and
 * latched with SRTP, translation enabled with TE. Caches are off (each request is a cold lookup).
 */
export function vtdBackend(memory: PhysicalMemory, regs: VtdRegisters): TranslateBackend {
  const model = new VtdModel(memory, { ...(regs.cap !== undefined ? { cap: regs.cap } : {}), ...(regs.ecap !== undefined ? { ecap: regs.ecap } : {}) });
  model.writeRegister(VtdRegister.RTADDR, regs.rtaddr, 8);
  model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.SRTP), 4);
  model.writeRegister(VtdRegister.GCMD, BigInt(Gcmd.TE), 4);
  return {
    schema: { pasidField: 'pasid', maxSid: 0xffff },
    translate(req: CliRequest, trace: TraceEntry[]): TranslateJson {
      const r = model.translate({ sourceId: req.sid, pasid: req.pasid, address: req.iova, access: accessBits(req) }, { trace, uncached: true });
      if (r.ok) return { ok: true, pa: toHex(r.output), pageSize: 2 ** r.pageShift, perm: permString(r.permitted, req.privileged), reads: countReads(trace) };
      const fault: Record<string, string | number | boolean | null> = { name: r.name, code: r.reason, reason: r.reason };
      if (r.walk) fault.stage = r.walk.stage;
      fault.address = toHex(req.iova);
      fault.recorded = r.recorded;
      if (r.suppressed) fault.suppressed = true;
      return { ok: false, fault };
    },
  };
}
