import { CliError } from './errors';

const HEX = /^(0x)?[0-9a-f]+$/i;

/**
 * Parses a hexadecimal value (`0x` optional, `_` separators allowed) of at most `bits` bits.
 * @throws CliError naming `what` when the text is not hex or too wide.
 */
export function parseHex(text: string, what: string, bits = 64): bigint {
  const clean = text.replaceAll('_', '');
  if (!HEX.test(clean)) throw new CliError(`bad hex value '${text}'`, what);
  const value = BigInt(clean.toLowerCase().startsWith('0x') ? clean : `0x${clean}`);
  if (value >> BigInt(bits) !== 0n) throw new CliError(`'${text}' does not fit in ${bits} bits`, what);
  return value;
}

/** Parses a hex value that must fit a JS number exactly (an address below 2^53). */
export function parseHexNumber(text: string, what: string): number {
  const v = parseHex(text, what, 64);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CliError(`'${text}' is beyond 2^53`, what);
  return Number(v);
}

/** Formats as `0x…` lower-case hex. */
export function toHex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
