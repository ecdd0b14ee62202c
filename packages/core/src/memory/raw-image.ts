/**
 * Loader for raw physical-memory images, as QEMU's `pmemsave ADDR SIZE FILE` monitor command writes them:
 * the file is exactly `SIZE` bytes of guest-physical memory starting at `ADDR`, with no header. The base
 * address is not in the file, so the caller supplies it (the CLI's `--raw-base`).
 * @packageDocumentation
 */
import { IommuError } from '../errors';
import { SPARSE_PAGE_SHIFT, SparseMemory } from './sparse-memory';

/** A raw image placed in memory. */
export interface RawImage {
  /** The memory holding the image (the one passed in, or a new one). */
  memory: SparseMemory;
  /** Physical address of the image's first byte. */
  base: number;
  /** Image length in bytes (the file length). */
  size: number;
}

const TWO_POW_64 = 1n << 64n;
const CHUNK = 1 << SPARSE_PAGE_SHIFT;

/**
 * Places a raw memory image (QEMU `pmemsave` output) at physical address `base`: backs
 * `[base, base + bytes.length)` and copies the bytes there. All-zero 4 KiB pages are not copied when the
 * memory already reads zero there, so a mostly empty image costs little (SparseMemory backs lazily).
 *
 * @param bytes The file contents.
 * @param base Physical address of the first byte (a `bigint` as parsed from hex is fine).
 * @param memory Memory to load into; a new {@link SparseMemory} when omitted. Already-backed ranges merge.
 * @throws IommuError `DUMP_EMPTY` for an empty file; `DUMP_RANGE` when `base` is negative or
 *   `base + size` overflows 64 bits or ends beyond 2^53 − 1 (the largest exact JS address);
 *   `ARGUMENT` when `base` is a non-integer number.
 */
export function loadRawImage(bytes: Uint8Array, base: number | bigint, memory = new SparseMemory()): RawImage {
  if (bytes.length === 0) throw new IommuError('DUMP_EMPTY', 'raw memory image is empty (0 bytes)');
  if (typeof base === 'number' && !Number.isInteger(base)) {
    throw new IommuError('ARGUMENT', `raw image base ${base} is not an integer`, { base });
  }
  const start = BigInt(base);
  const end = start + BigInt(bytes.length);
  const hexBase = `0x${start.toString(16)}`;
  if (start < 0n) {
    throw new IommuError('DUMP_RANGE', `raw image base ${start} is negative`, { base: start });
  }
  if (end > TWO_POW_64) {
    throw new IommuError('DUMP_RANGE', `raw image at ${hexBase} + ${bytes.length} bytes overflows 64 bits`, {
      base: start,
      size: bytes.length,
    });
  }
  if (end > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new IommuError(
      'DUMP_RANGE',
      `raw image at ${hexBase} + ${bytes.length} bytes ends beyond 2^53 - 1, the largest supported address`,
      { base: start, size: bytes.length },
    );
  }
  const address = Number(start);
  memory.back(address, bytes.length);
  copyImage(memory, address, bytes);
  return { memory, base: address, size: bytes.length };
}

/** Copies page-aligned chunks, skipping all-zero chunks that already read zero (so they stay unmaterialized). */
function copyImage(memory: SparseMemory, address: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const a = address + done;
    const take = Math.min(CHUNK - (a % CHUNK), bytes.length - done);
    const chunk = bytes.subarray(done, done + take);
    if (!(isZero(chunk) && isZero(memory.readBytes(a, take)!))) memory.writeBytes(a, chunk);
    done += take;
  }
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
