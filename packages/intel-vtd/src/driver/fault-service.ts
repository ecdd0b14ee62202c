/**
 * The primary fault handler of a driver (VT-d spec §7.1.3 "Primary Fault Logging", §10.4 FSTS_REG /
 * FRCD_REG), as Linux's `dmar_fault` does it: read FSTS; while PPF is set, read the fault recording register
 * at FRI and onwards, collect each record with F set and clear its F (write 1 to bit 127); finally clear
 * FSTS.PFO so recording resumes.
 * @packageDocumentation
 */
import { wordsFromU64s } from '@viommu/core';
import { Fsts, VtdRegister } from '../model/index';
import type { VtdCapabilities } from '../structures/index';
import type { VtdRegisterAccess } from './registers';

const F = 1n << 63n;

/**
 * Drains the fault recording registers, oldest (from FSTS.FRI) first, returning each record as four 32-bit
 * words (F = 1, as read).
 */
export function drainFaultRecords(regs: VtdRegisterAccess, caps: VtdCapabilities): Uint32Array[] {
  const out: Uint32Array[] = [];
  const fsts = Number(regs.readRegister(VtdRegister.FSTS, 4));
  if (fsts & Fsts.PPF) {
    let index = (fsts >>> Fsts.FRI_SHIFT) & 0xff;
    for (let n = 0; n < caps.faultRecordCount; n++) {
      const offset = caps.faultRecordOffset + index * 16;
      const high = regs.readRegister(offset + 8);
      if ((high & F) === 0n) break;
      const low = regs.readRegister(offset);
      out.push(wordsFromU64s([low, high], 128));
      regs.writeRegister(offset + 8, F);
      index = (index + 1) % caps.faultRecordCount;
    }
  }
  if (fsts & Fsts.PFO) regs.writeRegister(VtdRegister.FSTS, BigInt(Fsts.PFO), 4);
  return out;
}
