/**
 * Checks for API-supplied numbers (bus, devfn, PASID…). These are programmer input, not guest memory, so a bad
 * value throws `IommuError` instead of producing a fault.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';

/**
 * Asserts that `value` is an integer in `min..max`.
 * @throws IommuError `ARGUMENT` naming the parameter otherwise.
 */
export function assertIntegerInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new IommuError('ARGUMENT', `${name} ${value} is not an integer in ${min}..${max}`, { [name]: value });
  }
}
