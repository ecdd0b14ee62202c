/**
 * The one way the driver reaches the SMMU besides memory: its register interface (Arm IHI0070 §6.2,
 * offsets from the base of register page 0, page 1 at +0x10000). {@link SmmuV3Model} implements it; a
 * driver talking to another model (or a trace replayer) only needs these two calls.
 * @packageDocumentation
 */

/** Register access as a CPU does it: 32-bit accesses, or 64-bit accesses to 64-bit registers. */
export interface SmmuRegisterPort {
  /** Reads a register (`size` 4 or 8 bytes; the default follows the register's width). */
  readRegister(offset: number, size?: 4 | 8): bigint;
  /** Writes a register (`size` 4 or 8 bytes; the default follows the register's width). */
  writeRegister(offset: number, value: bigint | number, size?: 4 | 8): void;
}

/** Reads a 32-bit register as a number. */
export function read32(port: SmmuRegisterPort, offset: number): number {
  return Number(port.readRegister(offset, 4));
}
