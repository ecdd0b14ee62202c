/**
 * A small ELF64 core writer for tests: builds files shaped like QEMU's `dump-guest-memory` output
 * (ELF header, program header table, optional section header 0 for PN_XNUM, one PT_NOTE, then the PT_LOAD
 * data) from a list of segments or from a {@link SparseMemory}. Test-only: it is not part of the package API.
 *
 * Layout facts: System V gABI ch. 4 (ELF header, section header 0) and ch. 5 (program header);
 * Elf64_Ehdr 64 bytes, Elf64_Phdr 56, Elf64_Shdr 64, Elf64_Nhdr 12.
 */
import type { SparseMemory } from '../../src/memory/sparse-memory';

/** Byte offsets of the ELF64 header fields tests patch to build malformed files. */
export const EHDR = {
  EI_CLASS: 4,
  EI_DATA: 5,
  EI_VERSION: 6,
  e_type: 16,
  e_machine: 18,
  e_version: 20,
  e_entry: 24,
  e_phoff: 32,
  e_shoff: 40,
  e_ehsize: 52,
  e_phentsize: 54,
  e_phnum: 56,
  e_shentsize: 58,
  e_shnum: 60,
  size: 64,
} as const;

/** Byte offsets of the Elf64_Phdr fields, relative to the entry. */
export const PHDR = {
  p_type: 0,
  p_flags: 4,
  p_offset: 8,
  p_vaddr: 16,
  p_paddr: 24,
  p_filesz: 32,
  p_memsz: 40,
  p_align: 48,
  size: 56,
} as const;

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
const SHDR_SIZE = 64;
const PN_XNUM = 0xffff;

/** One program header to write. */
export interface SegmentSpec {
  /** `p_paddr`, the guest-physical address. */
  paddr: number | bigint;
  /** The segment's file bytes (`p_filesz` = length). Default: none. */
  data?: Uint8Array;
  /** `p_memsz`; default `data.length`. */
  memSize?: number | bigint;
  /** `p_vaddr`; default 0 as in QEMU's non-paging dumps. */
  vaddr?: bigint;
  /** `p_type`; default PT_LOAD. */
  type?: number;
  /** Forces `p_offset` (e.g. past the end of the file); default: where the data is written. */
  offset?: bigint;
  /** Forces `p_filesz`; default `data.length`. */
  fileSize?: bigint;
}

/** Writer options. */
export interface ElfWriterOptions {
  /** `e_machine`; default EM_X86_64. */
  machine?: number;
  /** Write a PT_NOTE first (as QEMU does); default true. */
  note?: boolean;
  /** Put PN_XNUM in `e_phnum` and the real count in section header 0's `sh_info`. */
  extendedNumbering?: boolean;
}

/** A QEMU-like note: one NT_PRSTATUS ("CORE") note with a zeroed 16-byte descriptor. */
function sampleNote(): Uint8Array {
  const note = new Uint8Array(12 + 8 + 16);
  const v = new DataView(note.buffer);
  v.setUint32(0, 5, true); // namesz: "CORE\0"
  v.setUint32(4, 16, true); // descsz
  v.setUint32(8, 1, true); // NT_PRSTATUS
  note.set([0x43, 0x4f, 0x52, 0x45], 12);
  return note;
}

/** Writes an ELF64 little-endian ET_CORE file with the given segments (after an optional PT_NOTE). */
export function writeElfCore(segments: readonly SegmentSpec[], options: ElfWriterOptions = {}): Uint8Array {
  const note = options.note === false ? undefined : sampleNote();
  const headers: SegmentSpec[] = note ? [{ paddr: 0, data: note, type: PT_NOTE }, ...segments] : [...segments];
  const count = headers.length;
  const xnum = options.extendedNumbering === true;
  const phoff = EHDR.size;
  const shoff = xnum ? phoff + count * PHDR.size : 0;
  let dataOffset = phoff + count * PHDR.size + (xnum ? SHDR_SIZE : 0);
  const total = dataOffset + headers.reduce((n, s) => n + (s.data?.length ?? 0), 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);

  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  v.setUint16(EHDR.e_type, 4, true);
  v.setUint16(EHDR.e_machine, options.machine ?? EM_X86_64, true);
  v.setUint32(EHDR.e_version, 1, true);
  v.setBigUint64(EHDR.e_phoff, BigInt(phoff), true);
  v.setBigUint64(EHDR.e_shoff, BigInt(shoff), true);
  v.setUint16(EHDR.e_ehsize, EHDR.size, true);
  v.setUint16(EHDR.e_phentsize, PHDR.size, true);
  v.setUint16(EHDR.e_phnum, xnum ? PN_XNUM : count, true);
  v.setUint16(EHDR.e_shentsize, xnum ? SHDR_SIZE : 0, true);
  v.setUint16(EHDR.e_shnum, xnum ? 1 : 0, true);
  if (xnum) v.setUint32(shoff + 44, count, true); // sh_info of section header 0

  headers.forEach((s, i) => {
    const h = phoff + i * PHDR.size;
    const data = s.data ?? new Uint8Array(0);
    v.setUint32(h + PHDR.p_type, s.type ?? PT_LOAD, true);
    v.setUint32(h + PHDR.p_flags, 0, true);
    v.setBigUint64(h + PHDR.p_offset, s.offset ?? BigInt(dataOffset), true);
    v.setBigUint64(h + PHDR.p_vaddr, s.vaddr ?? 0n, true);
    v.setBigUint64(h + PHDR.p_paddr, BigInt(s.paddr), true);
    v.setBigUint64(h + PHDR.p_filesz, s.fileSize ?? BigInt(data.length), true);
    v.setBigUint64(h + PHDR.p_memsz, BigInt(s.memSize ?? data.length), true);
    out.set(data, dataOffset);
    dataOffset += data.length;
  });
  return out;
}

/** Writes every backed range of `memory` as one PT_LOAD segment holding its bytes. */
export function elfCoreFromMemory(memory: SparseMemory, options: ElfWriterOptions = {}): Uint8Array {
  const segments = memory
    .backedRanges()
    .map(({ base, size }) => ({ paddr: base, data: memory.readBytes(base, size)! }));
  return writeElfCore(segments, options);
}

/** File offset of program header `index` (the PT_NOTE, when written, is index 0). */
export function phdrAt(file: Uint8Array, index: number): number {
  return Number(new DataView(file.buffer, file.byteOffset).getBigUint64(EHDR.e_phoff, true)) + index * PHDR.size;
}
