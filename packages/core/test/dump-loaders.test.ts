import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IommuError, type IommuErrorCode } from '../src/errors';
import { loadElfCore } from '../src/memory/elf-core';
import { EXTERNAL_ABORT } from '../src/memory/physical-memory';
import { loadRawImage } from '../src/memory/raw-image';
import { SparseMemory } from '../src/memory/sparse-memory';
import {
  EHDR,
  EM_AARCH64,
  PHDR,
  PT_LOAD,
  PT_NOTE,
  elfCoreFromMemory,
  phdrAt,
  writeElfCore,
  type SegmentSpec,
} from './support/elf-writer';

/** Runs `fn`, expects an IommuError with `code` and a message matching `message`; returns the error. */
function expectDumpError(fn: () => unknown, code: IommuErrorCode, message: RegExp): IommuError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(IommuError);
  const err = caught as IommuError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  return err;
}

const bytesOf = (...values: number[]) => Uint8Array.from(values);
const filled = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff || 1);
const patch = (file: Uint8Array, f: (v: DataView) => void) => {
  const copy = file.slice();
  f(new DataView(copy.buffer));
  return copy;
};

/** A QEMU-shaped dump: PT_NOTE, RAM below 4 GiB in two blocks and one block above. */
function sampleDump(): { file: Uint8Array; segments: SegmentSpec[] } {
  const segments: SegmentSpec[] = [
    { paddr: 0, data: filled(0x1800, 1) },
    { paddr: 0x10_0000, data: filled(0x20, 2), memSize: 0x3000 },
    { paddr: 0x1_0000_0000, data: filled(0x1000, 3) },
  ];
  return { file: writeElfCore(segments, { machine: EM_AARCH64 }), segments };
}

describe('loadElfCore: well-formed cores', () => {
  it('places every PT_LOAD at p_paddr and reports the segments', () => {
    const { file, segments } = sampleDump();
    const image = loadElfCore(file);
    expect(image.machine).toBe(EM_AARCH64);
    expect(image.entry).toBe(0n);
    expect(image.programHeaderCount).toBe(4); // PT_NOTE + 3 PT_LOAD
    expect(image.segments.map((s) => [s.index, s.paddr, s.vaddr, s.fileSize, s.memSize])).toEqual([
      [1, 0, 0n, 0x1800, 0x1800],
      [2, 0x10_0000, 0n, 0x20, 0x3000],
      [3, 0x1_0000_0000, 0n, 0x1000, 0x1000],
    ]);
    for (const [i, s] of image.segments.entries()) {
      expect(file.subarray(s.fileOffset, s.fileOffset + s.fileSize)).toEqual(segments[i]!.data);
      expect(image.memory.readBytes(s.paddr, s.fileSize)).toEqual(segments[i]!.data);
    }
    expect(image.memory.backedRanges()).toEqual([
      { base: 0, size: 0x1800 },
      { base: 0x10_0000, size: 0x3000 },
      { base: 0x1_0000_0000, size: 0x1000 },
    ]);
  });

  it('reads the memory past p_filesz as zero and backed; outside the segments aborts', () => {
    const { memory } = loadElfCore(sampleDump().file);
    expect(memory.read8(0x10_001f)).toBe(filled(0x20, 2)[0x1f]);
    expect(memory.read8(0x10_0020)).toBe(0);
    expect(memory.read32(0x10_2ffc)).toBe(0);
    expect(memory.read8(0x10_3000)).toBe(EXTERNAL_ABORT);
    expect(memory.read8(0x1800)).toBe(EXTERNAL_ABORT);
    expect(memory.read32(0x17fe)).toBe(EXTERNAL_ABORT); // straddles the end of segment 1
  });

  it('accepts a huge p_memsz with a small p_filesz, backing the rest lazily', () => {
    const size = 2 ** 40; // 1 TiB of guest RAM, 16 bytes in the file
    const file = writeElfCore([{ paddr: 0x8000_0000, data: filled(16, 9), memSize: size }]);
    const { memory, segments } = loadElfCore(file);
    expect(segments[0]!.memSize).toBe(size);
    expect(memory.isBacked(0x8000_0000, size)).toBe(true);
    expect(memory.read32(0x8000_0000 + size - 4)).toBe(0);
    expect(memory.readBytes(0x8000_0000, 16)).toEqual(filled(16, 9));
    expect(memory.materializedPages).toBe(1);
  });

  it('accepts a segment ending exactly at 2^52', () => {
    const paddr = 2 ** 52 - 0x1000;
    const { memory } = loadElfCore(writeElfCore([{ paddr, data: filled(8, 4), memSize: 0x1000 }]));
    expect(memory.readBytes(paddr, 8)).toEqual(filled(8, 4));
    expect(memory.isBacked(paddr, 0x1000)).toBe(true);
  });

  it('ignores zero-length PT_LOADs, even where they sit inside another segment', () => {
    const file = writeElfCore([
      { paddr: 0x2000, data: filled(0x100, 5) },
      { paddr: 0x2010, memSize: 0 },
      { paddr: 0x9000, memSize: 0 },
    ]);
    const image = loadElfCore(file);
    expect(image.segments.map((s) => s.index)).toEqual([1]);
    expect(image.memory.backedRanges()).toEqual([{ base: 0x2000, size: 0x100 }]);
  });

  it('ignores PT_NOTE and other segment types, and accepts a core with no PT_LOAD', () => {
    const file = writeElfCore([{ paddr: 0x5000, data: filled(0x40, 6), type: 0x6474_e551 /* PT_GNU_STACK */ }]);
    const image = loadElfCore(file);
    expect(image.segments).toEqual([]);
    expect(image.programHeaderCount).toBe(2);
    expect(image.memory.backedRanges()).toEqual([]);
  });

  it('accepts a core without program headers', () => {
    const image = loadElfCore(writeElfCore([], { note: false }));
    expect(image.programHeaderCount).toBe(0);
    expect(image.segments).toEqual([]);
  });

  it('accepts touching (adjacent) segments and out-of-order segments', () => {
    const file = writeElfCore([
      { paddr: 0x3000, data: filled(0x1000, 7) },
      { paddr: 0x2000, data: filled(0x1000, 8) },
    ]);
    const { memory } = loadElfCore(file);
    expect(memory.backedRanges()).toEqual([{ base: 0x2000, size: 0x2000 }]);
    expect(memory.readBytes(0x2000, 0x1000)).toEqual(filled(0x1000, 8));
    expect(memory.readBytes(0x3000, 0x1000)).toEqual(filled(0x1000, 7));
  });

  it('accepts p_filesz 0 with p_offset -1 (QEMU: a mapping it could not read)', () => {
    const file = writeElfCore([{ paddr: 0x4000, memSize: 0x1000, offset: 2n ** 64n - 1n }]);
    const { memory, segments } = loadElfCore(file);
    expect(segments[0]).toMatchObject({ paddr: 0x4000, fileSize: 0, fileOffset: 0, memSize: 0x1000 });
    expect(memory.read32(0x4ffc)).toBe(0);
  });

  it('keeps p_vaddr (a paging dump) and e_entry as bigints', () => {
    const vaddr = 0xffff_8880_0000_0000n;
    const file = patch(writeElfCore([{ paddr: 0x1000, data: filled(8, 1), vaddr }]), (v) =>
      v.setBigUint64(EHDR.e_entry, 0xffff_ffff_8100_0000n, true),
    );
    const image = loadElfCore(file);
    expect(image.segments[0]!.vaddr).toBe(vaddr);
    expect(image.entry).toBe(0xffff_ffff_8100_0000n);
  });

  it('reads the program header count from section header 0 when e_phnum is PN_XNUM', () => {
    const segments = [
      { paddr: 0x1000, data: filled(0x10, 1) },
      { paddr: 0x8000, data: filled(0x10, 2) },
    ];
    const file = writeElfCore(segments, { extendedNumbering: true });
    expect(new DataView(file.buffer).getUint16(EHDR.e_phnum, true)).toBe(0xffff);
    const image = loadElfCore(file);
    expect(image.programHeaderCount).toBe(3);
    expect(image.memory.readBytes(0x8000, 0x10)).toEqual(filled(0x10, 2));
  });

  it('does not materialize all-zero pages', () => {
    const data = new Uint8Array(0x4000);
    data[0x2005] = 0xaa;
    const { memory } = loadElfCore(writeElfCore([{ paddr: 0x10000, data }]));
    expect(memory.materializedPages).toBe(1);
    expect(memory.read8(0x12005)).toBe(0xaa);
    expect(memory.readBytes(0x10000, 0x4000)).toEqual(data);
  });

  it('loads into a given memory, merging with what is already there', () => {
    const memory = new SparseMemory().back(0, 0x1000);
    memory.write32(0x10, 0xdead_beef);
    const image = loadElfCore(writeElfCore([{ paddr: 0x1000, data: filled(0x100, 3) }]), memory);
    expect(image.memory).toBe(memory);
    expect(memory.read32(0x10)).toBe(0xdead_beef);
    expect(memory.backedRanges()).toEqual([{ base: 0, size: 0x1100 }]);
  });

  it('overwrites existing data of a given memory, zero pages included', () => {
    const memory = new SparseMemory().back(0x7000, 0x1000);
    memory.write64(0x7008, 0x1234, 0x5678);
    loadElfCore(writeElfCore([{ paddr: 0x7000, data: new Uint8Array(0x1000) }]), memory);
    expect(memory.readBytes(0x7000, 0x1000)).toEqual(new Uint8Array(0x1000));
  });

  it('accepts a Uint8Array view at a non-zero offset of a larger buffer', () => {
    const file = sampleDump().file;
    const big = new Uint8Array(file.length + 13);
    big.set(file, 13);
    expect(loadElfCore(big.subarray(13)).memory.readBytes(0x1_0000_0000, 0x1000)).toEqual(filled(0x1000, 3));
  });
});

describe('loadElfCore: malformed files', () => {
  const good = () => sampleDump().file;

  it('rejects an empty file', () => {
    expectDumpError(() => loadElfCore(new Uint8Array(0)), 'DUMP_EMPTY', /empty \(0 bytes\)/);
  });

  it('rejects a file without the ELF magic, naming the bytes found', () => {
    const pe = bytesOf(0x4d, 0x5a, 0x90, 0x00, ...new Uint8Array(60));
    expectDumpError(() => loadElfCore(pe), 'DUMP_MAGIC', /not an ELF file: bytes at offset 0 are 4d 5a 90 00/);
    expectDumpError(() => loadElfCore(bytesOf(0x23, 0x21)), 'DUMP_MAGIC', /not an ELF file/);
    expectDumpError(() => loadElfCore(patch(good(), (v) => v.setUint8(3, 0x47))), 'DUMP_MAGIC', /7f 45 4c 47/);
  });

  it('rejects a 32-bit ELF (ELFCLASS32) and invalid classes', () => {
    const c32 = patch(good(), (v) => v.setUint8(EHDR.EI_CLASS, 1));
    expectDumpError(() => loadElfCore(c32), 'DUMP_CLASS', /EI_CLASS\] \(offset 4\) is ELFCLASS32 \(32-bit ELF\)/);
    expectDumpError(() => loadElfCore(patch(good(), (v) => v.setUint8(4, 0))), 'DUMP_CLASS', /invalid value 0/);
    expectDumpError(() => loadElfCore(bytesOf(0x7f, 0x45, 0x4c, 0x46, 1)), 'DUMP_CLASS', /ELFCLASS32/);
  });

  it('rejects a big-endian ELF and invalid data encodings', () => {
    const be = patch(good(), (v) => v.setUint8(EHDR.EI_DATA, 2));
    expectDumpError(() => loadElfCore(be), 'DUMP_ENDIAN', /EI_DATA\] \(offset 5\) is ELFDATA2MSB \(big-endian\)/);
    expectDumpError(() => loadElfCore(patch(good(), (v) => v.setUint8(5, 3))), 'DUMP_ENDIAN', /invalid value 3/);
  });

  it('rejects e_ident[EI_VERSION] other than EV_CURRENT', () => {
    const v0 = patch(good(), (v) => v.setUint8(EHDR.EI_VERSION, 0));
    expectDumpError(() => loadElfCore(v0), 'DUMP_MAGIC', /EI_VERSION\] \(offset 6\) is 0, expected 1 \(EV_CURRENT\)/);
  });

  it('rejects files that are not ET_CORE', () => {
    const exec = patch(good(), (v) => v.setUint16(EHDR.e_type, 2, true));
    expectDumpError(
      () => loadElfCore(exec),
      'DUMP_TYPE',
      /e_type \(offset 16\) is 2 \(ET_EXEC\), expected 4 \(ET_CORE\)/,
    );
    const odd = patch(good(), (v) => v.setUint16(EHDR.e_type, 0xfe00, true));
    expectDumpError(() => loadElfCore(odd), 'DUMP_TYPE', /unknown type 65024/);
  });

  it('rejects a truncated ELF header at every length below 64 bytes', () => {
    const file = good();
    for (let n = 1; n < 64; n++) {
      const err = expectDumpError(() => loadElfCore(file.subarray(0, n)), 'DUMP_TRUNCATED', /header truncated/);
      expect(err.message).toContain(`file has ${n} bytes`);
    }
  });

  it('rejects a program header table past the end of the file', () => {
    const file = good();
    const moved = patch(file, (v) => v.setBigUint64(EHDR.e_phoff, BigInt(file.length - 100), true));
    const err = expectDumpError(
      () => loadElfCore(moved),
      'DUMP_TRUNCATED',
      new RegExp(`program header table \\(4 entries at offset 0x${(file.length - 100).toString(16)}\\).*past the end`),
    );
    expect(err.detail.offset).toBe(BigInt(file.length - 100));
    const far = patch(file, (v) => v.setBigUint64(EHDR.e_phoff, 2n ** 64n - 1n, true));
    expectDumpError(() => loadElfCore(far), 'DUMP_TRUNCATED', /program header table/);
    const many = patch(file, (v) => v.setUint16(EHDR.e_phnum, 0xfff0, true));
    expectDumpError(() => loadElfCore(many), 'DUMP_TRUNCATED', /65520 entries/);
  });

  it('rejects a segment whose file bytes run past the end of the file, naming the segment', () => {
    const file = writeElfCore([
      { paddr: 0, data: filled(0x10, 1) },
      { paddr: 0x1000, data: filled(0x10, 2), offset: 0x10_0000n },
    ]);
    const err = expectDumpError(
      () => loadElfCore(file),
      'DUMP_TRUNCATED',
      /PT_LOAD segment 2 \(program header at offset 0xb0\): file bytes \[0x100000, 0x100010\) run past the end/,
    );
    expect(err.detail.segment).toBe(2);
    const wrap = writeElfCore([{ paddr: 0, data: filled(0x10, 1), offset: 2n ** 64n - 8n }]);
    expectDumpError(() => loadElfCore(wrap), 'DUMP_TRUNCATED', /segment 1/);
  });

  it('reports DUMP_TRUNCATED for every cut of a valid file', () => {
    const file = good();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: file.length - 1 }), (n) => {
        expectDumpError(() => loadElfCore(file.subarray(0, n)), 'DUMP_TRUNCATED', /truncated|past the end/);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects overlapping PT_LOAD segments that disagree, naming both and the first differing byte', () => {
    const file = writeElfCore([
      { paddr: 0x10000, data: filled(0x100, 1) },
      { paddr: 0x40000, data: filled(0x10, 2) },
      { paddr: 0x8000, data: filled(0x10, 3), memSize: 0x8001 },
    ]);
    const err = expectDumpError(
      () => loadElfCore(file),
      'DUMP_OVERLAP',
      /segments 3 \[0x8000, 0x10001\) and 1 \[0x10000, 0x10100\) overlap in physical address and disagree at 0x10000/,
    );
    expect(err.detail).toEqual({ segment: 3, other: 1, address: 0x10000 });
    // A long segment reaching past its neighbour is checked against every segment it covers.
    const nested = writeElfCore([
      { paddr: 0x1000, data: new Uint8Array(0x100) },
      { paddr: 0x1010, data: new Uint8Array(0x10) },
      { paddr: 0x1080, data: filled(0x10, 7) },
    ]);
    expectDumpError(() => loadElfCore(nested), 'DUMP_OVERLAP', /segments 1 \[0x1000, 0x1100\) and 3 \[0x1080, 0x1090\) .*disagree at 0x1080/);
  });

  it('accepts overlapping PT_LOAD segments that agree (dump-guest-memory -p aliases)', () => {
    const aliases = writeElfCore([
      { paddr: 0x1000, data: new Uint8Array(0x2000).fill(5) },
      { paddr: 0x2000, data: new Uint8Array(0x800).fill(5) },
      { paddr: 0x1000, data: new Uint8Array(0x10).fill(5), memSize: 0x10 },
    ]);
    const { memory, segments } = loadElfCore(aliases);
    expect(segments).toHaveLength(3);
    expect(memory.read8(0x1000)).toBe(5);
    expect(memory.read8(0x2fff)).toBe(5);
  });

  it('rejects p_paddr + p_memsz beyond 2^52 or overflowing 64 bits', () => {
    const beyond = writeElfCore([{ paddr: 2 ** 52 - 0x1000, data: filled(8, 1), memSize: 0x1001 }]);
    expectDumpError(
      () => loadElfCore(beyond),
      'DUMP_RANGE',
      /segment 1 .*p_paddr 0xffffffffff000 \+ p_memsz 0x1001 ends at 0x10000000000001, beyond 2\^52/,
    );
    const wrap = writeElfCore([{ paddr: 0xffff_ffff_ffff_f000n, memSize: 0x2000 }]);
    expectDumpError(() => loadElfCore(wrap), 'DUMP_RANGE', /overflows 64 bits/);
    const huge = writeElfCore([{ paddr: 0, memSize: 2n ** 64n - 1n }]);
    expectDumpError(() => loadElfCore(huge), 'DUMP_RANGE', /beyond 2\^52/);
  });

  it('rejects p_filesz greater than p_memsz', () => {
    const file = writeElfCore([{ paddr: 0x1000, data: filled(0x20, 1), memSize: 0x10 }]);
    expectDumpError(() => loadElfCore(file), 'DUMP_SEGMENT', /segment 1 .*p_filesz 0x20 exceeds p_memsz 0x10/);
  });

  it('rejects a wrong e_phentsize', () => {
    for (const size of [0, 32, 64]) {
      const file = patch(good(), (v) => v.setUint16(EHDR.e_phentsize, size, true));
      expectDumpError(
        () => loadElfCore(file),
        'DUMP_SEGMENT',
        new RegExp(`e_phentsize \\(offset 54\\) is ${size}, expected 56`),
      );
    }
  });

  it('rejects PN_XNUM without a usable section header 0', () => {
    const file = writeElfCore([{ paddr: 0, data: filled(4, 1) }], { extendedNumbering: true });
    const noShdr = patch(file, (v) => v.setBigUint64(EHDR.e_shoff, 0n, true));
    expectDumpError(() => loadElfCore(noShdr), 'DUMP_TRUNCATED', /PN_XNUM but section header 0/);
    const past = patch(file, (v) => v.setBigUint64(EHDR.e_shoff, BigInt(file.length - 8), true));
    expectDumpError(() => loadElfCore(past), 'DUMP_TRUNCATED', /not within the file/);
    const badSize = patch(file, (v) => v.setUint16(EHDR.e_shentsize, 40, true));
    expectDumpError(() => loadElfCore(badSize), 'DUMP_SEGMENT', /e_shentsize \(offset 58\) is 40/);
  });

  it('leaves the given memory untouched when a later segment is bad', () => {
    const memory = new SparseMemory().back(0x100, 0x10);
    const file = writeElfCore([
      { paddr: 0x1000, data: filled(0x10, 1) },
      { paddr: 0x1008, data: filled(0x10, 2) },
    ]);
    expectDumpError(() => loadElfCore(file, memory), 'DUMP_OVERLAP', /overlap/);
    expect(memory.backedRanges()).toEqual([{ base: 0x100, size: 0x10 }]);
    expect(memory.materializedPages).toBe(0);
  });

  it('throws only IommuError DUMP_* codes for random header corruption', () => {
    const file = writeElfCore(
      [
        { paddr: 0x1000, data: filled(0x30, 1) },
        { paddr: 0x3000, data: filled(0x30, 2), memSize: 0x2000 },
      ],
      { extendedNumbering: true },
    );
    const headerEnd = phdrAt(file, 3) + 64; // headers and section header 0
    const edit = fc.record({ at: fc.integer({ min: 0, max: headerEnd - 1 }), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        const bad = file.slice();
        for (const { at, value } of edits) bad[at] = value;
        try {
          const { memory, segments } = loadElfCore(bad);
          for (const s of segments) expect(memory.isBacked(s.paddr, s.memSize)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(IommuError);
          expect((e as IommuError).code).toMatch(/^DUMP_/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ELF writer round trip', () => {
  /** Random disjoint ranges (page-granular placement, byte-granular sizes) with random bytes written. */
  const layout = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 20 }), { minLength: 1, maxLength: 6 }).chain((pages) =>
    fc.tuple(
      ...pages.map((page) =>
        fc.record({
          base: fc.constant(page * 0x2000 + (page % 7) * 8),
          size: fc.integer({ min: 1, max: 0x1800 }),
          writes: fc.array(fc.record({ at: fc.nat(0x17ff), data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), {
            maxLength: 5,
          }),
        }),
      ),
    ),
  );

  it('SparseMemory → ELF core → loadElfCore gives the same ranges and bytes', () => {
    fc.assert(
      fc.property(layout, fc.boolean(), fc.boolean(), (ranges, note, extendedNumbering) => {
        const original = new SparseMemory();
        for (const r of ranges) original.back(r.base, r.size);
        for (const r of ranges) {
          for (const w of r.writes) original.writeBytes(r.base + (w.at % r.size), w.data);
        }
        const file = elfCoreFromMemory(original, { note, extendedNumbering });
        const loaded = loadElfCore(file).memory;
        expect(loaded.backedRanges()).toEqual(original.backedRanges());
        for (const { base, size } of original.backedRanges()) {
          expect(loaded.readBytes(base, size)).toEqual(original.readBytes(base, size));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes the program headers QEMU writes: PT_NOTE first, then PT_LOADs at p_paddr', () => {
    const file = writeElfCore([{ paddr: 0x2000, data: filled(4, 1) }]);
    const v = new DataView(file.buffer);
    expect(v.getUint32(phdrAt(file, 0) + PHDR.p_type, true)).toBe(PT_NOTE);
    expect(v.getUint32(phdrAt(file, 1) + PHDR.p_type, true)).toBe(PT_LOAD);
    expect(v.getBigUint64(phdrAt(file, 1) + PHDR.p_paddr, true)).toBe(0x2000n);
  });
});

describe('loadRawImage', () => {
  it('places the image at a number or bigint base', () => {
    const data = filled(0x1234, 5);
    const image = loadRawImage(data, 0x4000_0000);
    expect(image).toMatchObject({ base: 0x4000_0000, size: 0x1234 });
    expect(image.memory.readBytes(0x4000_0000, 0x1234)).toEqual(data);
    expect(image.memory.read8(0x4000_0000 + 0x1234)).toBe(EXTERNAL_ABORT);
    expect(image.memory.read8(0x3fff_ffff)).toBe(EXTERNAL_ABORT);
    const big = loadRawImage(data, 0x1_2345_6000n);
    expect(big.base).toBe(0x1_2345_6000);
    expect(big.memory.read32(0x1_2345_6000)).toBe(new DataView(data.buffer).getUint32(0, true));
  });

  it('rejects an empty file', () => {
    expectDumpError(() => loadRawImage(new Uint8Array(0), 0), 'DUMP_EMPTY', /empty/);
  });

  it('rejects base + size overflowing 64 bits or ending beyond 2^53 - 1', () => {
    expectDumpError(() => loadRawImage(filled(8, 1), 2n ** 64n - 4n), 'DUMP_RANGE', /overflows 64 bits/);
    expectDumpError(() => loadRawImage(filled(8, 1), 2n ** 64n), 'DUMP_RANGE', /overflows 64 bits/);
    expectDumpError(() => loadRawImage(filled(8, 1), 2 ** 53 - 4), 'DUMP_RANGE', /beyond 2\^53/);
    expectDumpError(() => loadRawImage(filled(8, 1), -8n), 'DUMP_RANGE', /negative/);
    expectDumpError(() => loadRawImage(filled(8, 1), 0.5), 'ARGUMENT', /not an integer/);
    const top = loadRawImage(filled(8, 1), Number.MAX_SAFE_INTEGER - 8);
    expect(top.memory.readBytes(Number.MAX_SAFE_INTEGER - 8, 8)).toEqual(filled(8, 1));
  });

  it('does not materialize zero pages of a fresh memory but clears old data', () => {
    const data = new Uint8Array(0x3000);
    data[0x2fff] = 1;
    const memory = new SparseMemory().back(0x2000, 0x1000);
    memory.write8(0x2100, 0x77);
    loadRawImage(data, 0x1000, memory);
    expect(memory.materializedPages).toBe(2); // the dirty old page 0x2000 and page 0x3000 holding data[0x2fff]
    expect(memory.read8(0x2100)).toBe(0);
    expect(memory.read8(0x3fff)).toBe(1);
    expect(memory.backedRanges()).toEqual([{ base: 0x1000, size: 0x3000 }]);
  });
});
