/**
 * Loader for ELF64 core files as QEMU's `dump-guest-memory` writes them (ELF format, not kdump).
 *
 * Format facts (System V gABI "Object Files", ch. 4 ELF header and ch. 5 program header; ELF-64 Object
 * File Format 1.5):
 * - `e_ident`: magic `7f 'E' 'L' 'F'`, `EI_CLASS` (byte 4, ELFCLASS64 = 2), `EI_DATA` (byte 5,
 *   ELFDATA2LSB = 1), `EI_VERSION` (byte 6, EV_CURRENT = 1). `e_type` ET_CORE = 4.
 * - `Elf64_Ehdr` is 64 bytes, `Elf64_Phdr` 56 bytes, `Elf64_Shdr` 64 bytes.
 * - When a file has PN_XNUM (0xffff) or more program headers, `e_phnum` is PN_XNUM and the real count is
 *   in `sh_info` of section header 0. QEMU does this for guests with 65533+ memory mappings.
 *
 * QEMU (dump/dump.c) writes one PT_NOTE (CPU state, ignored here) and one PT_LOAD per guest RAM block, with
 * the guest-physical address in `p_paddr` (`p_vaddr` is 0, or a guest-virtual address with `-p`). Memory
 * past `p_filesz` up to `p_memsz` is absent from the file and reads as zero; for mappings it cannot read,
 * QEMU writes `p_filesz` 0 and `p_offset` −1.
 * @packageDocumentation
 */
import { IommuError, type IommuErrorCode } from '../errors';
import { loadRawImage } from './raw-image';
import { hex } from '../u64';
import { SparseMemory } from './sparse-memory';

/** One PT_LOAD segment of an ELF core, as placed in memory. */
export interface ElfCoreSegment {
  /** Index of the segment's entry in the program header table. */
  index: number;
  /** Guest-physical address of the segment (`p_paddr`), where its bytes are placed. */
  paddr: number;
  /** `p_vaddr`, unchanged (0 in QEMU's default dumps; a guest-virtual address with `-p`). */
  vaddr: bigint;
  /** File offset of the segment's bytes (`p_offset`); 0 when `fileSize` is 0 (the field is then unused). */
  fileOffset: number;
  /** Bytes present in the file (`p_filesz`). */
  fileSize: number;
  /** Bytes of memory the segment covers (`p_memsz`); bytes past `fileSize` read as zero. */
  memSize: number;
}

/** An ELF core file loaded into memory. */
export interface ElfCoreImage {
  /** The memory holding every PT_LOAD segment at its `p_paddr` (the one passed in, or a new one). */
  memory: SparseMemory;
  /** The PT_LOAD segments with a non-zero `p_memsz`, in program-header order. */
  segments: readonly ElfCoreSegment[];
  /** `e_machine` (62 EM_X86_64, 183 EM_AARCH64, …); not checked. */
  machine: number;
  /** `e_entry` (0 in QEMU dumps). */
  entry: bigint;
  /** Number of program headers, including PT_NOTE and ignored types (PN_XNUM already resolved). */
  programHeaderCount: number;
}

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;
const ET_CORE = 4;
const PT_LOAD = 1;
const PN_XNUM = 0xffff;
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const E_TYPE_NAMES = ['ET_NONE', 'ET_REL', 'ET_EXEC', 'ET_DYN', 'ET_CORE'];
/** Segments must end at or below 2^52: the widest physical address either architecture defines. */
const MAX_PHYSICAL_END = 1n << 52n;
const TWO_POW_64 = 1n << 64n;

/**
 * Loads an ELF64 little-endian core file (QEMU `dump-guest-memory`, any `e_machine`): every PT_LOAD
 * segment's file bytes are placed at its guest-physical address `p_paddr`, and `[p_paddr, p_paddr +
 * p_memsz)` is backed (the tail past `p_filesz` reads as zero without costing memory). PT_NOTE and other
 * segment types are ignored; PT_LOAD segments with `p_memsz` 0 are ignored. The whole file is checked
 * before anything is written, so on an error the memory passed in is untouched.
 *
 * Overlapping PT_LOAD segments are accepted when they agree byte for byte where they overlap: QEMU's paging
 * dumps (`dump-guest-memory -p`) alias one physical range through several virtual mappings. Segments that
 * disagree about a physical byte are rejected.
 *
 * @param bytes The file contents.
 * @param memory Memory to load into; a new {@link SparseMemory} when omitted.
 * @throws IommuError with a `DUMP_*` code and a message naming the field, offset and segment index:
 *   `DUMP_EMPTY` (0 bytes), `DUMP_MAGIC` (not `\x7fELF`, or `e_ident[EI_VERSION]` ≠ 1),
 *   `DUMP_CLASS` (not ELFCLASS64), `DUMP_ENDIAN` (not ELFDATA2LSB), `DUMP_TYPE` (not ET_CORE),
 *   `DUMP_TRUNCATED` (header, program header table, section header 0 or segment bytes past end of file),
 *   `DUMP_SEGMENT` (`e_phentsize` ≠ 56, `e_shentsize` ≠ 64 with PN_XNUM, `p_filesz` > `p_memsz`),
 *   `DUMP_RANGE` (`p_paddr + p_memsz` beyond 2^52 or overflowing 64 bits),
 *   `DUMP_OVERLAP` (two PT_LOAD segments give the same physical byte different values).
 */
export function loadElfCore(bytes: Uint8Array, memory = new SparseMemory()): ElfCoreImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkIdent(bytes);
  const e_type = view.getUint16(16, true);
  if (e_type !== ET_CORE) {
    const name = E_TYPE_NAMES[e_type] ?? `unknown type ${e_type}`;
    fail('DUMP_TYPE', `ELF e_type (offset 16) is ${e_type} (${name}), expected 4 (ET_CORE): not a core dump`, {
      offset: 16,
    });
  }
  const count = programHeaderCount(view);
  const phoff = view.getBigUint64(32, true);
  if (count > 0) {
    const phentsize = view.getUint16(54, true);
    if (phentsize !== PHDR_SIZE) {
      fail('DUMP_SEGMENT', `ELF e_phentsize (offset 54) is ${phentsize}, expected ${PHDR_SIZE} (Elf64_Phdr)`, {
        offset: 54,
      });
    }
    const tableEnd = phoff + BigInt(count * PHDR_SIZE);
    if (tableEnd > BigInt(bytes.length)) {
      fail(
        'DUMP_TRUNCATED',
        `ELF program header table (${count} entries at offset ${hex(phoff)}) ends at ${hex(tableEnd)}, ` +
          `past the end of the file (${bytes.length} bytes)`,
        { offset: phoff },
      );
    }
  }
  const segments: ElfCoreSegment[] = [];
  for (let i = 0; i < count; i++) {
    const segment = readLoadSegment(view, Number(phoff) + i * PHDR_SIZE, i);
    if (segment) segments.push(segment);
  }
  checkOverlaps(segments, bytes);
  for (const s of segments) {
    if (s.fileSize > 0) loadRawImage(bytes.subarray(s.fileOffset, s.fileOffset + s.fileSize), s.paddr, memory);
    memory.back(s.paddr, s.memSize);
  }
  return {
    memory,
    segments,
    machine: view.getUint16(18, true),
    entry: view.getBigUint64(24, true),
    programHeaderCount: count,
  };
}

/** Checks `e_ident` field by field, as far as the file goes, then that the whole header is present. */
function checkIdent(bytes: Uint8Array): void {
  if (bytes.length === 0) fail('DUMP_EMPTY', 'ELF core file is empty (0 bytes)', { offset: 0 });
  for (let i = 0; i < Math.min(4, bytes.length); i++) {
    if (bytes[i] !== ELF_MAGIC[i]) {
      const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      fail('DUMP_MAGIC', `not an ELF file: bytes at offset 0 are ${got}, expected 7f 45 4c 46 ("\\x7fELF")`, {
        offset: i,
      });
    }
  }
  const elfClass = bytes[4];
  if (elfClass !== undefined && elfClass !== ELFCLASS64) {
    const what = elfClass === ELFCLASS32 ? 'ELFCLASS32 (32-bit ELF)' : `invalid value ${elfClass}`;
    fail('DUMP_CLASS', `ELF e_ident[EI_CLASS] (offset 4) is ${what}; only ELFCLASS64 (2) cores are supported`, {
      offset: 4,
    });
  }
  const data = bytes[5];
  if (data !== undefined && data !== ELFDATA2LSB) {
    const what = data === ELFDATA2MSB ? 'ELFDATA2MSB (big-endian)' : `invalid value ${data}`;
    fail(
      'DUMP_ENDIAN',
      `ELF e_ident[EI_DATA] (offset 5) is ${what}; only little-endian (ELFDATA2LSB, 1) is supported`,
      {
        offset: 5,
      },
    );
  }
  const version = bytes[6];
  if (version !== undefined && version !== EV_CURRENT) {
    fail('DUMP_MAGIC', `ELF e_ident[EI_VERSION] (offset 6) is ${version}, expected 1 (EV_CURRENT)`, { offset: 6 });
  }
  if (bytes.length < EHDR_SIZE) {
    fail(
      'DUMP_TRUNCATED',
      `ELF header truncated: file has ${bytes.length} bytes, the ELF64 header needs ${EHDR_SIZE}`,
      {
        offset: bytes.length,
      },
    );
  }
}

/** `e_phnum`, or with PN_XNUM the count in `sh_info` of section header 0 (gABI "Section Header", Table 0). */
function programHeaderCount(view: DataView): number {
  const phnum = view.getUint16(56, true);
  if (phnum !== PN_XNUM) return phnum;
  const shoff = view.getBigUint64(40, true);
  const shentsize = view.getUint16(58, true);
  if (shentsize !== SHDR_SIZE) {
    fail('DUMP_SEGMENT', `ELF e_phnum is PN_XNUM but e_shentsize (offset 58) is ${shentsize}, expected ${SHDR_SIZE}`, {
      offset: 58,
    });
  }
  if (shoff === 0n || shoff + BigInt(SHDR_SIZE) > BigInt(view.byteLength)) {
    fail(
      'DUMP_TRUNCATED',
      `ELF e_phnum is PN_XNUM but section header 0 (e_shoff ${hex(shoff)}) is not within the file ` +
        `(${view.byteLength} bytes)`,
      { offset: shoff },
    );
  }
  return view.getUint32(Number(shoff) + 44, true);
}

/** Reads program header `index` at `offset`; returns the segment if it is a PT_LOAD with memory. */
function readLoadSegment(view: DataView, offset: number, index: number): ElfCoreSegment | undefined {
  if (view.getUint32(offset, true) !== PT_LOAD) return undefined;
  const p_offset = view.getBigUint64(offset + 8, true);
  const p_vaddr = view.getBigUint64(offset + 16, true);
  const p_paddr = view.getBigUint64(offset + 24, true);
  const p_filesz = view.getBigUint64(offset + 32, true);
  const p_memsz = view.getBigUint64(offset + 40, true);
  const where = `ELF PT_LOAD segment ${index} (program header at offset ${hex(offset)})`;
  const detail = { segment: index, offset };
  if (p_filesz > p_memsz) {
    fail('DUMP_SEGMENT', `${where}: p_filesz ${hex(p_filesz)} exceeds p_memsz ${hex(p_memsz)}`, detail);
  }
  if (p_memsz === 0n) return undefined;
  const end = p_paddr + p_memsz;
  if (end > MAX_PHYSICAL_END) {
    const why =
      end > TWO_POW_64 ? 'overflows 64 bits' : `ends at ${hex(end)}, beyond 2^52 (the widest physical address)`;
    fail('DUMP_RANGE', `${where}: p_paddr ${hex(p_paddr)} + p_memsz ${hex(p_memsz)} ${why}`, detail);
  }
  if (p_filesz > 0n && p_offset + p_filesz > BigInt(view.byteLength)) {
    fail(
      'DUMP_TRUNCATED',
      `${where}: file bytes [${hex(p_offset)}, ${hex(p_offset + p_filesz)}) run past the end of the file ` +
        `(${view.byteLength} bytes)`,
      detail,
    );
  }
  return {
    index,
    paddr: Number(p_paddr),
    vaddr: p_vaddr,
    fileOffset: p_filesz > 0n ? Number(p_offset) : 0,
    fileSize: Number(p_filesz),
    memSize: Number(p_memsz),
  };
}

/** The byte a segment gives physical address `paddr` (file bytes, then zeros up to `p_memsz`). */
function segmentByte(bytes: Uint8Array, s: ElfCoreSegment, paddr: number): number {
  const offset = paddr - s.paddr;
  return offset < s.fileSize ? bytes[s.fileOffset + offset]! : 0;
}

/**
 * Checks every pair of overlapping PT_LOAD segments (not only neighbours: a long segment can reach past
 * several) and accepts an overlap only when both give every byte the same value.
 */
function checkOverlaps(segments: readonly ElfCoreSegment[], bytes: Uint8Array): void {
  const sorted = [...segments].sort((a, b) => a.paddr - b.paddr);
  for (let i = 1; i < sorted.length; i++) {
    const b = sorted[i]!;
    for (let j = 0; j < i; j++) {
      const a = sorted[j]!;
      const start = b.paddr;
      const end = Math.min(a.paddr + a.memSize, b.paddr + b.memSize);
      if (start >= end) continue;
      for (let p = start; p < end; p++) {
        if (segmentByte(bytes, a, p) !== segmentByte(bytes, b, p)) {
          fail(
            'DUMP_OVERLAP',
            `ELF PT_LOAD segments ${a.index} [${hex(a.paddr)}, ${hex(a.paddr + a.memSize)}) and ${b.index} ` +
              `[${hex(b.paddr)}, ${hex(b.paddr + b.memSize)}) overlap in physical address and disagree at ${hex(p)}`,
            { segment: a.index, other: b.index, address: p },
          );
        }
      }
    }
  }
}

function fail(code: IommuErrorCode, message: string, detail: Record<string, unknown>): never {
  throw new IommuError(code, message, detail);
}
