/**
 * How the driver reaches the remapping hardware: 32- and 64-bit register accesses at the architected
 * offsets (VT-d spec §10.4), nothing else. The device model ({@link VtdModel}) provides exactly this.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';
import { Gsts, VtdRegister } from '../model/index';

/** A host-physical byte range a driver structure occupies. */
export interface HostRange {
  /** First byte. */
  readonly base: number;
  /** Length in bytes. */
  readonly size: number;
}

/** Register access to one remapping unit. */
export interface VtdRegisterAccess {
  /** Reads `size` (4 or 8) bytes at byte `offset` from the register base. */
  readRegister(offset: number, size?: 4 | 8): bigint;
  /** Writes `size` (4 or 8) bytes at byte `offset`. */
  writeRegister(offset: number, value: bigint, size?: 4 | 8): void;
}

/** The GSTS status bit that reports each persistent GCMD enable (same bit position, §10.4). */
const PERSISTENT_STATUS = Gsts.TES | Gsts.QIES | Gsts.IRES | Gsts.CFIS | Gsts.AFLS;

/**
 * Issues one GCMD_REG command the way the specification asks software to (§10.4 GCMD_REG): read GSTS,
 * keep the persistent enables it reports (TE, QIE, IRE, CFI, EAFL), apply the change, write GCMD, then check
 * GSTS reached the expected state. `set`/`clear` are GCMD bits of persistent enables; `oneShot` a
 * one-shot command (SRTP, WBF…) whose status bit `expect` must read `expectSet` afterwards.
 * @throws IommuError `PLUGIN` when GSTS does not report the requested state (the hardware refused).
 */
export function globalCommand(
  regs: VtdRegisterAccess,
  change: { set?: number; clear?: number; oneShot?: number; expect?: number; expectSet?: boolean },
): void {
  const gsts = Number(regs.readRegister(VtdRegister.GSTS, 4));
  let command = (gsts & PERSISTENT_STATUS) >>> 0;
  command = ((command | (change.set ?? 0)) & ~(change.clear ?? 0)) >>> 0;
  regs.writeRegister(VtdRegister.GCMD, BigInt((command | (change.oneShot ?? 0)) >>> 0), 4);
  const after = Number(regs.readRegister(VtdRegister.GSTS, 4));
  const wantSet = ((change.set ?? 0) & PERSISTENT_STATUS) >>> 0;
  const wantClear = (change.clear ?? 0) & PERSISTENT_STATUS;
  let ok = ((after & wantSet) >>> 0) === wantSet && (after & wantClear) === 0;
  if (change.expect !== undefined) ok &&= ((after & change.expect) !== 0) === (change.expectSet ?? true);
  if (!ok) {
    throw new IommuError('PLUGIN', `GCMD 0x${command.toString(16)} left GSTS at 0x${after.toString(16)}`, { gsts: after });
  }
}
