import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IommuError, type IommuErrorCode } from '../src/errors';
import { PoolAllocator } from '../src/memory/allocator';
import { EXTERNAL_ABORT, read64Big, write64Big, type PhysicalMemory } from '../src/memory/physical-memory';
import { SparseMemory } from '../src/memory/sparse-memory';
import { TracingMemory } from '../src/memory/tracing-memory';
import { TranslatedMemory, type AddressTranslator } from '../src/memory/translated-memory';

function expectCode(fn: () => unknown, code: IommuErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(IommuError);
  expect((caught as IommuError).code).toBe(code);
}

const halves = () => ({ hi: 0, lo: 0 });

/** Byte-array equality without vitest's slow element-by-element diffing (for property loops). */
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('SparseMemory: little-endian accesses (known answers)', () => {
  it('lays out 16/32/64-bit values little-endian and reads them back at every width', () => {
    const m = new SparseMemory().back(0x1000, 0x1000);
    expect(m.write32(0x1010, 0x1122_3344)).toBe(true);
    expect([0, 1, 2, 3].map((i) => m.read8(0x1010 + i))).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(m.read16(0x1010)).toBe(0x3344);
    expect(m.read16(0x1011)).toBe(0x2233);
    expect(m.read16(0x1012)).toBe(0x1122);

    expect(m.write64(0x1020, 0x8899_aabb, 0xccdd_eeff)).toBe(true);
    expect(Array.from(m.readBytes(0x1020, 8)!)).toEqual([0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88]);
    const out = halves();
    expect(m.read64(0x1020, out)).toBe(true);
    expect(out).toEqual({ hi: 0x8899_aabb, lo: 0xccdd_eeff });
    expect(m.read32(0x1024)).toBe(0x8899_aabb);
    expect(read64Big(m, 0x1020)).toBe(0x8899_aabb_ccdd_eeffn);

    expect(m.write16(0x1030, 0xbeef)).toBe(true);
    expect(m.readBytes(0x1030, 2)).toEqual(Uint8Array.of(0xef, 0xbe));
    expect(m.write8(0x1040, 0x5a)).toBe(true);
    expect(m.read8(0x1040)).toBe(0x5a);
  });

  it('keeps only the access width of a value and treats 32-bit values as unsigned', () => {
    const m = new SparseMemory().back(0, 0x100);
    m.write8(0, 0x1ab);
    m.write16(2, 0x1_2345);
    m.write32(4, -1);
    expect(m.read8(0)).toBe(0xab);
    expect(m.read16(2)).toBe(0x2345);
    expect(m.read32(4)).toBe(0xffff_ffff);
    expect(write64Big(m, 8, -2n)).toBe(true);
    expect(read64Big(m, 8)).toBe(0xffff_ffff_ffff_fffen);
  });

  it('reads untouched backed memory as zero', () => {
    const m = new SparseMemory().back(0x4000, 0x2000);
    expect(m.read8(0x4000)).toBe(0);
    expect(m.read32(0x5ffc)).toBe(0);
    const out = { hi: 7, lo: 7 };
    expect(m.read64(0x4ff8, out)).toBe(true);
    expect(out).toEqual({ hi: 0, lo: 0 });
    expect(m.readBytes(0x4ffe, 4)).toEqual(new Uint8Array(4));
  });

  it('works at addresses near 2^52', () => {
    const top = 2 ** 52 - 0x2000;
    const m = new SparseMemory().back(top, 0x2000);
    expect(m.write64(top + 0xffc, 0x0102_0304, 0x0506_0708)).toBe(true); // crosses a page
    expect(read64Big(m, top + 0xffc)).toBe(0x0102_0304_0506_0708n);
    expect(m.read8(top + 0xffc)).toBe(0x08);
    expect(m.read8(top + 0x1003)).toBe(0x01);
    expect(m.read8(top - 1)).toBe(EXTERNAL_ABORT);
  });
});

describe('SparseMemory: page-crossing accesses', () => {
  const m = new SparseMemory().back(0, 0x3000);

  it.each([
    { size: 2, address: 0xfff },
    { size: 4, address: 0xffd },
    { size: 4, address: 0xffe },
    { size: 4, address: 0xfff },
    { size: 8, address: 0xff9 },
    { size: 8, address: 0xffc },
    { size: 8, address: 0xfff },
  ])('$size-byte access at $address crossing into the next page', ({ size, address }) => {
    const value = 0x0123_4567_89ab_cdefn & ((1n << BigInt(8 * size)) - 1n);
    if (size === 2) m.write16(address, Number(value));
    if (size === 4) m.write32(address, Number(value));
    if (size === 8) write64Big(m, address, value);
    const bytes = Array.from({ length: size }, (_, i) => m.read8(address + i));
    expect(bytes).toEqual(Array.from({ length: size }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn)));
    if (size === 2) expect(m.read16(address)).toBe(Number(value));
    if (size === 4) expect(m.read32(address)).toBe(Number(value));
    if (size === 8) expect(read64Big(m, address)).toBe(value);
  });

  it('copies byte ranges spanning three pages', () => {
    const data = Uint8Array.from({ length: 0x1800 }, (_, i) => (i * 13) & 0xff);
    expect(m.writeBytes(0xc00, data)).toBe(true);
    expect(m.readBytes(0xc00, 0x1800)).toEqual(data);
    expect(m.read8(0x1000)).toBe(data[0x400]);
  });
});

describe('SparseMemory: unbacked memory', () => {
  it('reads of unbacked memory are external aborts', () => {
    const m = new SparseMemory().back(0x1000, 0x1000);
    expect(m.read8(0xfff)).toBe(EXTERNAL_ABORT);
    expect(m.read16(0x2000)).toBe(EXTERNAL_ABORT);
    expect(m.read32(0x10_0000)).toBe(EXTERNAL_ABORT);
    expect(m.read64(0x3000, halves())).toBe(false);
    expect(m.readBytes(0x500, 4)).toBeUndefined();
    expect(m.read8(-1)).toBe(EXTERNAL_ABORT);
    expect(m.read32(Number.MAX_SAFE_INTEGER + 1)).toBe(EXTERNAL_ABORT);
  });

  it('accesses straddling the edge of a backed range abort, even inside one page', () => {
    const m = new SparseMemory().back(0x1000, 0x802); // ends mid-page at 0x1802
    m.write8(0x1801, 0x11); // materialize the partially backed page
    expect(m.read8(0x1801)).toBe(0x11);
    expect(m.read8(0x1802)).toBe(EXTERNAL_ABORT);
    expect(m.read16(0x1801)).toBe(EXTERNAL_ABORT);
    expect(m.read32(0x1800)).toBe(EXTERNAL_ABORT);
    expect(m.read64(0x17fc, halves())).toBe(false);
    expect(m.readBytes(0x1800, 3)).toBeUndefined();
    expect(m.write8(0x1802, 1)).toBe(false);
    expect(m.write32(0x1800, 0xffff_ffff)).toBe(false);
    expect(m.write64(0x1800, 1, 1)).toBe(false);
    expect(m.read16(0x1800)).toBe(0x1100);

    const fresh = new SparseMemory().back(0x1000, 0x801); // same at the edge of an untouched page
    expect(fresh.read16(0x1800)).toBe(EXTERNAL_ABORT);
    expect(fresh.write16(0x1800, 0xffff)).toBe(false);
    expect(fresh.materializedPages).toBe(0);
  });

  it('writes to unbacked memory write nothing, also when only part of the access is unbacked', () => {
    const m = new SparseMemory().back(0x1000, 0x1000);
    expect(m.write8(0x2000, 1)).toBe(false);
    expect(m.write16(0xfff, 0xffff)).toBe(false);
    expect(m.write32(0x1ffe, 0xffff_ffff)).toBe(false);
    expect(m.write64(0x1ffc, 0xffff_ffff, 0xffff_ffff)).toBe(false);
    expect(m.writeBytes(0x1ff0, new Uint8Array(0x20).fill(0xff))).toBe(false);
    expect(m.readBytes(0x1000, 0x1000)).toEqual(new Uint8Array(0x1000));
    expect(m.materializedPages).toBe(0);
  });
});

describe('SparseMemory: lazy backing and merged ranges', () => {
  it('materializes a page only when it is first written', () => {
    const m = new SparseMemory().back(0, 2 ** 40);
    expect(m.materializedPages).toBe(0);
    expect(m.read64(2 ** 39, halves())).toBe(true);
    expect(m.readBytes(0x3000, 0x3000)).toEqual(new Uint8Array(0x3000));
    expect(m.materializedPages).toBe(0);
    m.write8(0x1234, 1);
    expect(m.materializedPages).toBe(1);
    m.write32(0x1ffe, 0xffff_ffff); // crosses into the next page
    expect(m.materializedPages).toBe(2);
    m.writeBytes(0x10_0000, new Uint8Array(0x2000));
    expect(m.materializedPages).toBe(4);
  });

  it('merges overlapping, touching and bridging back() ranges', () => {
    const m = new SparseMemory();
    m.back(0x5000, 0x1000).back(0x1000, 0x1000);
    expect(m.backedRanges()).toEqual([
      { base: 0x1000, size: 0x1000 },
      { base: 0x5000, size: 0x1000 },
    ]);
    m.back(0x2000, 0x800); // touches the first
    expect(m.backedRanges()[0]).toEqual({ base: 0x1000, size: 0x1800 });
    m.back(0x1100, 0x100); // inside
    m.back(0x0, 0x0); // empty: no range
    expect(m.backedRanges()).toHaveLength(2);
    m.back(0x2400, 0x2c00); // bridges both
    expect(m.backedRanges()).toEqual([{ base: 0x1000, size: 0x5000 }]);
    expect(m.isBacked(0x1000, 0x5000)).toBe(true);
    expect(m.isBacked(0xfff, 2)).toBe(false);
  });

  it('keeps data written before a range grows', () => {
    const m = new SparseMemory().back(0x1000, 0x10);
    m.write32(0x1000, 0xabcd_ef01);
    m.back(0x1010, 0xff0);
    expect(m.read32(0x1000)).toBe(0xabcd_ef01);
    expect(m.read32(0x1ffc)).toBe(0);
  });

  it('rejects invalid ranges with MEMORY_ARGUMENT', () => {
    const m = new SparseMemory();
    expectCode(() => m.back(-1, 10), 'MEMORY_ARGUMENT');
    expectCode(() => m.back(0, -10), 'MEMORY_ARGUMENT');
    expectCode(() => m.back(0.5, 10), 'MEMORY_ARGUMENT');
    expectCode(() => m.back(Number.MAX_SAFE_INTEGER - 4, 8), 'MEMORY_ARGUMENT');
  });

  it('isBacked is false across a gap and for bad addresses', () => {
    const m = new SparseMemory().back(0, 0x1000).back(0x1001, 0x1000);
    expect(m.isBacked(0, 0x1000)).toBe(true);
    expect(m.isBacked(0xfff, 2)).toBe(false);
    expect(m.isBacked(-1, 1)).toBe(false);
    expect(m.isBacked(0, -1)).toBe(false);
  });
});

describe('SparseMemory against a Map<number, byte> reference', () => {
  /** The obviously-correct model: a set of backed byte addresses and a map of written bytes. */
  class Reference {
    readonly backed = new Set<number>();
    readonly bytes = new Map<number, number>();
    back(base: number, size: number) {
      for (let i = 0; i < size; i++) this.backed.add(base + i);
    }
    all(address: number, size: number) {
      for (let i = 0; i < size; i++) if (!this.backed.has(address + i)) return false;
      return true;
    }
    read(address: number, size: number): bigint | undefined {
      if (!this.all(address, size)) return undefined;
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.bytes.get(address + i) ?? 0);
      return v;
    }
    write(address: number, size: number, value: bigint): boolean {
      if (!this.all(address, size)) return false;
      for (let i = 0; i < size; i++) this.bytes.set(address + i, Number((value >> BigInt(8 * i)) & 0xffn));
      return true;
    }
  }

  const BASE = 2 ** 44; // exercise addresses above 2^32
  const WINDOW = 0x3000;
  const address = fc.integer({ min: 0, max: WINDOW }).map((a) => BASE + a);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('back' as const), address, size: fc.integer({ min: 0, max: 0x1400 }) }),
    fc.record({
      kind: fc.constant('write' as const),
      address,
      size: fc.constantFrom(1, 2, 4, 8),
      value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    fc.record({ kind: fc.constant('read' as const), address, size: fc.constantFrom(1, 2, 4, 8) }),
    fc.record({ kind: fc.constant('writeBytes' as const), address, data: fc.uint8Array({ maxLength: 40 }) }),
    fc.record({ kind: fc.constant('readBytes' as const), address, size: fc.integer({ min: 0, max: 40 }) }),
  );

  function read(m: PhysicalMemory, a: number, size: number): bigint | undefined {
    if (size === 8) return read64Big(m, a);
    const v = size === 1 ? m.read8(a) : size === 2 ? m.read16(a) : m.read32(a);
    return v === EXTERNAL_ABORT ? undefined : BigInt(v);
  }

  function write(m: PhysicalMemory, a: number, size: number, value: bigint): boolean {
    const v = Number(value & ((1n << BigInt(8 * Math.min(size, 4))) - 1n));
    if (size === 8) return write64Big(m, a, value);
    return size === 1 ? m.write8(a, v) : size === 2 ? m.write16(a, v) : m.write32(a, v);
  }

  it('every access agrees with the reference', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const m = new SparseMemory();
        const ref = new Reference();
        for (const o of ops) {
          switch (o.kind) {
            case 'back':
              m.back(o.address, o.size);
              ref.back(o.address, o.size);
              break;
            case 'write': {
              const masked = o.value & ((1n << BigInt(8 * o.size)) - 1n);
              expect(write(m, o.address, o.size, o.value)).toBe(ref.write(o.address, o.size, masked));
              break;
            }
            case 'read':
              expect(read(m, o.address, o.size)).toBe(ref.read(o.address, o.size));
              break;
            case 'writeBytes': {
              const ok = ref.all(o.address, o.data.length);
              if (ok) o.data.forEach((b, i) => ref.bytes.set(o.address + i, b));
              expect(m.writeBytes(o.address, o.data)).toBe(ok);
              break;
            }
            case 'readBytes': {
              const expected = ref.all(o.address, o.size)
                ? Uint8Array.from({ length: o.size }, (_, i) => ref.bytes.get(o.address + i) ?? 0)
                : undefined;
              expect(m.readBytes(o.address, o.size)).toEqual(expected);
              break;
            }
          }
        }
        // Finally every byte of the window agrees (one assertion: per-byte expects are slow).
        const mismatches: number[] = [];
        for (let a = BASE; a < BASE + WINDOW + 8; a += 1) if (read(m, a, 1) !== ref.read(a, 1)) mismatches.push(a);
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('TracingMemory', () => {
  it('records every access in order with kind, address, size and value', () => {
    const below = new SparseMemory().back(0x1000, 0x1000);
    const t = new TracingMemory(below);
    t.write8(0x1000, 0x12);
    t.write16(0x1002, 0x3456);
    t.write32(0x1004, 0x89ab_cdef);
    t.write64(0x1008, 0xdead_beef, 0x0bad_f00d);
    t.read8(0x1000);
    t.read16(0x1002);
    t.read32(0x1004);
    t.read64(0x1008, halves());
    t.writeBytes(0x1010, Uint8Array.of(1, 2, 3));
    t.readBytes(0x1010, 3);
    expect(t.accesses).toEqual([
      { kind: 'write', address: 0x1000, size: 1, value: 0x12n, aborted: false },
      { kind: 'write', address: 0x1002, size: 2, value: 0x3456n, aborted: false },
      { kind: 'write', address: 0x1004, size: 4, value: 0x89ab_cdefn, aborted: false },
      { kind: 'write', address: 0x1008, size: 8, value: 0xdead_beef_0bad_f00dn, aborted: false },
      { kind: 'read', address: 0x1000, size: 1, value: 0x12n, aborted: false },
      { kind: 'read', address: 0x1002, size: 2, value: 0x3456n, aborted: false },
      { kind: 'read', address: 0x1004, size: 4, value: 0x89ab_cdefn, aborted: false },
      { kind: 'read', address: 0x1008, size: 8, value: 0xdead_beef_0bad_f00dn, aborted: false },
      { kind: 'write', address: 0x1010, size: 3, value: undefined, aborted: false },
      { kind: 'read', address: 0x1010, size: 3, value: undefined, aborted: false },
    ]);
    expect(below.read8(0x1000)).toBe(0x12); // accesses pass through
  });

  it('records aborted accesses with no value, and passes the abort through', () => {
    const t = new TracingMemory(new SparseMemory().back(0, 0x10));
    expect(t.read32(0x100)).toBe(EXTERNAL_ABORT);
    expect(t.read64(0x100, halves())).toBe(false);
    expect(t.write16(0xf, 0xffff)).toBe(false);
    expect(t.readBytes(0x8, 0x10)).toBeUndefined();
    expect(t.accesses).toEqual([
      { kind: 'read', address: 0x100, size: 4, value: undefined, aborted: true },
      { kind: 'read', address: 0x100, size: 8, value: undefined, aborted: true },
      { kind: 'write', address: 0xf, size: 2, value: undefined, aborted: true },
      { kind: 'read', address: 0x8, size: 0x10, value: undefined, aborted: true },
    ]);
  });

  it('records the value actually stored for narrow writes', () => {
    const below = new SparseMemory().back(0, 0x10);
    const t = new TracingMemory(below);
    t.write8(0, 0x1ab);
    t.write16(2, 0x1_2345);
    t.write32(4, -1);
    expect(t.accesses.map((a) => a.value)).toEqual([0xabn, 0x2345n, 0xffff_ffffn]);
    expect(below.read8(0)).toBe(0xab);
  });

  it('stops recording while disabled, keeps passing through, and clears', () => {
    const below = new SparseMemory().back(0, 0x10);
    const t = new TracingMemory(below);
    t.enabled = false;
    expect(t.write32(0, 7)).toBe(true);
    expect(t.isBacked(0, 0x10)).toBe(true);
    expect(t.accesses).toEqual([]);
    expect(below.read32(0)).toBe(7);
    t.enabled = true;
    t.read32(0);
    t.isBacked(0, 4); // not an access
    expect(t.accesses).toHaveLength(1);
    t.clear();
    expect(t.accesses).toEqual([]);
  });
});

describe('TranslatedMemory', () => {
  /** Guest page → host page: page 0 → 0x5000, 1 → 0x2000 (reversed), 2 unmapped, 3 → 0x3000 read-only. */
  function setup() {
    const host = new SparseMemory().back(0x2000, 0x4000);
    const calls: [number, boolean][] = [];
    const table = new Map<number, { hpa: number; writable: boolean }>([
      [0, { hpa: 0x5000, writable: true }],
      [1, { hpa: 0x2000, writable: true }],
      [3, { hpa: 0x3000, writable: false }],
    ]);
    const translate: AddressTranslator = (gpa, write) => {
      calls.push([gpa, write]);
      const e = table.get(Math.floor(gpa / 0x1000));
      if (!e || (write && !e.writable)) return undefined;
      return e.hpa + (gpa % 0x1000);
    };
    return { host, calls, guest: new TranslatedMemory(host, translate) };
  }

  it('reads and writes land at the translated addresses', () => {
    const { host, guest, calls } = setup();
    expect(guest.write32(0x10, 0xcafe_f00d)).toBe(true);
    expect(host.read32(0x5010)).toBe(0xcafe_f00d);
    expect(guest.read32(0x10)).toBe(0xcafe_f00d);
    expect(guest.write64(0x1008, 1, 2)).toBe(true);
    expect(read64Big(host, 0x2008)).toBe(0x1_0000_0002n);
    host.write16(0x3100, 0x7777);
    expect(guest.read16(0x3100)).toBe(0x7777);
    expect(calls.slice(0, 2)).toEqual([
      [0x10, true],
      [0x10, false],
    ]);
  });

  it('splits page-crossing accesses at guest page boundaries', () => {
    const { host, guest } = setup();
    expect(guest.write64(0xffc, 0x4433_2211, 0x8877_6655)).toBe(true);
    expect(host.read32(0x5ffc)).toBe(0x8877_6655);
    expect(host.read32(0x2000)).toBe(0x4433_2211);
    expect(read64Big(guest, 0xffc)).toBe(0x4433_2211_8877_6655n);
    expect(guest.write16(0xfff, 0xbbaa)).toBe(true);
    expect([host.read8(0x5fff), host.read8(0x2000)]).toEqual([0xaa, 0xbb]);
    expect(guest.read16(0xfff)).toBe(0xbbaa);
    expect(guest.write32(0xffe, 0xddcc_bbaa)).toBe(true);
    expect(guest.read32(0xffe)).toBe(0xddcc_bbaa);
    const data = Uint8Array.from({ length: 0x1100 }, (_, i) => i & 0xff);
    expect(guest.writeBytes(0x800, data)).toBe(true);
    expect(host.readBytes(0x5800, 0x800)).toEqual(data.subarray(0, 0x800));
    expect(host.readBytes(0x2000, 0x900)).toEqual(data.subarray(0x800));
    expect(guest.readBytes(0x800, 0x1100)).toEqual(data);
  });

  it('unmapped guest pages abort, and a crossing access writes nothing', () => {
    const { host, guest } = setup();
    expect(guest.read8(0x2000)).toBe(EXTERNAL_ABORT);
    expect(guest.read32(0x1ffe)).toBe(EXTERNAL_ABORT);
    expect(guest.read64(0x1ffc, halves())).toBe(false);
    expect(guest.readBytes(0x1f00, 0x200)).toBeUndefined();
    expect(guest.write64(0x1ffc, 0xffff_ffff, 0xffff_ffff)).toBe(false);
    expect(guest.writeBytes(0x1f00, new Uint8Array(0x200).fill(0xff))).toBe(false);
    expect(host.readBytes(0x2f00, 0x100)).toEqual(new Uint8Array(0x100));
    expect(guest.isBacked(0x1f00, 0x100)).toBe(true);
    expect(guest.isBacked(0x1f00, 0x101)).toBe(false);
    expect(guest.read8(-1)).toBe(EXTERNAL_ABORT);
  });

  it('a write the translator refuses (read-only page) aborts and writes nothing, even when split', () => {
    const { host, guest } = setup();
    host.write32(0x3000, 0x1234_5678);
    expect(guest.read32(0x3000)).toBe(0x1234_5678);
    expect(guest.write32(0x3000, 0)).toBe(false);
    expect(host.read32(0x3000)).toBe(0x1234_5678);
    // Guest page 0 writable, page 1 read-only: accesses split across them must write neither page.
    const ro = new TranslatedMemory(host, (gpa, write) => (gpa >= 0x1000 && write ? undefined : gpa + 0x2000));
    expect(ro.write32(0xffe, 0xffff_ffff)).toBe(false);
    expect(ro.writeBytes(0xf00, new Uint8Array(0x200).fill(0xee))).toBe(false);
    expect(host.readBytes(0x2f00, 0x100)).toEqual(new Uint8Array(0x100));
    expect(host.read32(0x3000)).toBe(0x1234_5678);
    expect(ro.writeBytes(0xf00, new Uint8Array(0x100).fill(0xee))).toBe(true); // page 0 alone is writable
    expect(host.read8(0x2fff)).toBe(0xee);
  });

  it('translates through host memory holes as aborts', () => {
    const host = new SparseMemory().back(0, 0x1000);
    const guest = new TranslatedMemory(host, (gpa) => gpa + 0x800);
    expect(guest.read32(0x7fc)).toBe(0);
    expect(guest.read32(0x800)).toBe(EXTERNAL_ABORT);
    expect(guest.writeBytes(0x7f0, new Uint8Array(0x20).fill(1))).toBe(false);
    expect(host.readBytes(0xff0, 0x10)).toEqual(new Uint8Array(0x10));
  });

  it('splits at the configured page size', () => {
    const host = new SparseMemory().back(0, 0x4_0000);
    const calls: number[] = [];
    const guest = new TranslatedMemory(
      host,
      (gpa) => {
        calls.push(gpa);
        return gpa < 0x1_0000 ? gpa + 0x3_0000 : gpa - 0x1_0000;
      },
      16,
    );
    expect(guest.write64(0xfffc, 0xaaaa_aaaa, 0xbbbb_bbbb)).toBe(true);
    expect(host.read32(0x3_fffc)).toBe(0xbbbb_bbbb);
    expect(host.read32(0)).toBe(0xaaaa_aaaa);
    calls.length = 0;
    guest.write64(0xf00c, 1, 2); // crosses a 4 KiB boundary but not a 64 KiB one: one translation
    expect(calls).toEqual([0xf00c]);
  });

  it('agrees with a direct page-permutation reference (property)', () => {
    const perm = fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 });
    const write = fc.record({
      at: fc.integer({ min: 0, max: 0x4000 - 1 }),
      data: fc.uint8Array({ minLength: 1, maxLength: 24 }),
    });
    fc.assert(
      fc.property(perm, fc.array(write, { maxLength: 20 }), (p, writes) => {
        const host = new SparseMemory().back(0, 0x4000);
        const map = (gpa: number) => p[Math.floor(gpa / 0x1000)]! * 0x1000 + (gpa % 0x1000);
        const guest = new TranslatedMemory(host, (gpa) => (gpa < 0x4000 ? map(gpa) : undefined));
        const ref = new Uint8Array(0x4000);
        for (const { at, data } of writes) {
          const fits = at + data.length <= 0x4000;
          expect(guest.writeBytes(at, data)).toBe(fits);
          if (fits) ref.set(data, at);
        }
        const viaHost = Uint8Array.from({ length: 0x4000 }, (_, g) => host.read8(map(g)));
        expect(sameBytes(viaHost, ref)).toBe(true);
        expect(sameBytes(guest.readBytes(0, 0x4000)!, ref)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('PoolAllocator', () => {
  const pool = (size = 0x10000, base = 0x10000) => {
    const memory = new SparseMemory().back(base, size);
    return { memory, alloc: new PoolAllocator(memory, base, size) };
  };

  it('returns aligned, disjoint blocks inside the pool', () => {
    const { alloc } = pool();
    const a = alloc.allocate(0x100, 0x100);
    const b = alloc.allocate(0x1000);
    const c = alloc.allocate(64, 64);
    const d = alloc.allocate(0x2000, 0x2000);
    expect([a, b, c, d]).toEqual([0x10000, 0x11000, 0x12000, 0x14000]);
    expect(alloc.used).toBe(0x6000);
  });

  it('zeroes every block it hands out, reused ones included', () => {
    const { memory, alloc } = pool();
    memory.writeBytes(0x10000, new Uint8Array(0x10000).fill(0xff));
    const a = alloc.allocate(0x1000);
    expect(memory.readBytes(a, 0x1000)).toEqual(new Uint8Array(0x1000));
    expect(memory.read8(a + 0x1000)).toBe(0xff);
    memory.write32(a, 0xffff_ffff);
    alloc.free(a, 0x1000);
    expect(alloc.allocate(0x1000)).toBe(a);
    expect(memory.read32(a)).toBe(0);
  });

  it('reuses freed blocks of the same size that satisfy the alignment', () => {
    const { alloc } = pool();
    const a = alloc.allocate(64, 64);
    const b = alloc.allocate(64, 64);
    expect(b).toBe(a + 64);
    alloc.free(b, 64);
    expect(alloc.allocate(128, 64)).toBe(a + 128); // different size: bump
    expect(alloc.allocate(64, 4096)).toBe(0x11000); // freed b is not 4 KiB aligned
    expect(alloc.allocate(64, 64)).toBe(b);
    expect(alloc.allocate(64, 64)).toBe(0x11040); // free list empty again
  });

  it('throws OUT_OF_MEMORY when exhausted, without losing the remaining space', () => {
    const { alloc } = pool(0x3000);
    alloc.allocate(0x2000);
    expectCode(() => alloc.allocate(0x2000), 'OUT_OF_MEMORY');
    expect(alloc.allocate(0x1000)).toBe(0x12000);
    expectCode(() => alloc.allocate(1, 1), 'OUT_OF_MEMORY');
  });

  it('rejects bad sizes and alignments, and an unbacked pool', () => {
    const { alloc } = pool();
    expectCode(() => alloc.allocate(0), 'ARGUMENT');
    expectCode(() => alloc.allocate(1.5), 'ARGUMENT');
    expectCode(() => alloc.allocate(64, 3), 'ARGUMENT');
    expectCode(() => alloc.allocate(64, 0), 'ARGUMENT');
    const unbacked = new PoolAllocator(new SparseMemory(), 0x1000, 0x1000);
    expectCode(() => unbacked.allocate(64), 'MEMORY_UNBACKED');
  });
});
