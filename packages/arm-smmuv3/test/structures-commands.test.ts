import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldSpec } from '@viommu/core';
import {
  COMMAND_FIELD_SETS,
  COMMAND_ILLEGAL_REASONS,
  COMMAND_LAYOUTS,
  COMMAND_OPCODES,
  DEFAULT_SMMU_CAPABILITIES,
  atcInvRange,
  cfgiSteRange,
  commandName,
  decodeCommand,
  encodeCommand,
  tlbiRange,
  type CommandIllegalReason,
  type CommandInput,
  type DecodedCommandName,
  type SmmuCapabilities,
} from '../src/structures/index';

const caps = DEFAULT_SMMU_CAPABILITIES;

describe('command opcodes [SPEC 4.1.1]', () => {
  it('names the opcodes of the reference', () => {
    expect(COMMAND_OPCODES).toMatchObject({
      CMD_PREFETCH_CONFIG: 0x01,
      CMD_PREFETCH_ADDR: 0x02,
      CMD_CFGI_STE: 0x03,
      CMD_CFGI_STE_RANGE: 0x04,
      CMD_CFGI_CD: 0x05,
      CMD_CFGI_CD_ALL: 0x06,
      CMD_TLBI_NH_ALL: 0x10,
      CMD_TLBI_NH_ASID: 0x11,
      CMD_TLBI_NH_VA: 0x12,
      CMD_TLBI_NH_VAA: 0x13,
      CMD_TLBI_EL2_ALL: 0x20,
      CMD_TLBI_EL2_ASID: 0x21,
      CMD_TLBI_EL2_VA: 0x22,
      CMD_TLBI_EL2_VAA: 0x23,
      CMD_TLBI_S12_VMALL: 0x28,
      CMD_TLBI_S2_IPA: 0x2a,
      CMD_TLBI_NSNH_ALL: 0x30,
      CMD_ATC_INV: 0x40,
      CMD_PRI_RESP: 0x41,
      CMD_RESUME: 0x44,
      CMD_STALL_TERM: 0x45,
      CMD_SYNC: 0x46,
    });
    expect(commandName(0x46)).toBe('CMD_SYNC');
    expect(commandName(0x00)).toBeUndefined();
  });

  it('every decoded layout declares all undefined bits reserved', () => {
    for (const name of Object.keys(COMMAND_LAYOUTS) as DecodedCommandName[]) {
      const spec = COMMAND_LAYOUTS[name].spec;
      let bits = 0;
      for (const f of spec.fields) bits += f.hi - f.lo + 1;
      for (const [hi, lo] of spec.reserved ?? []) bits += hi - lo + 1;
      expect(bits).toBe(128);
    }
  });
});

describe('command encoding: known answers', () => {
  it('CMD_CFGI_STE(StreamID 0x1234, Leaf 1)', () => {
    const w = encodeCommand({ name: 'CMD_CFGI_STE', fields: { StreamID: 0x1234, Leaf: 1 } });
    expect(Array.from(w)).toEqual([0x03, 0x1234, 1, 0]);
    expect(decodeCommand(w, caps)).toEqual({ illegal: false, name: 'CMD_CFGI_STE', opcode: 3, fields: { SSec: 0, StreamID: 0x1234, Leaf: 1 } });
  });

  it('CMD_TLBI_NH_VA with a level hint: NUM [16:12], SCALE [25:20], TTL [73:72], TG [75:74], Leaf [64], VA[63:12] at [127:76]', () => {
    const fields = { VMID: 5, ASID: 0x42, Address: 0x7fff_1234_5000n, Leaf: 1, TG: 1, TTL: 3, NUM: 0, SCALE: 0 };
    const w = encodeCommand({ name: 'CMD_TLBI_NH_VA', fields });
    // word1: VMID | ASID << 16; word2: Leaf | TTL << 8 | TG << 10 | Address[31:12]; word3: Address[63:32].
    expect(Array.from(w)).toEqual([0x12, 0x0042_0005, 0x1234_5701, 0x7fff]);
    expect(decodeCommand(w, caps)).toEqual({ illegal: false, name: 'CMD_TLBI_NH_VA', opcode: 0x12, fields });
  });

  it('CMD_TLBI_S2_IPA puts IPA[51:12] at [115:76]', () => {
    const w = encodeCommand({ name: 'CMD_TLBI_S2_IPA', fields: { VMID: 1, Address: 0xf_8000_1000 } });
    expect(Array.from(w)).toEqual([0x2a, 1, 0x8000_1000, 0xf]);
  });

  it('CMD_SYNC with an MSI: CS [13:12], MSIData [63:32], MSIAddress[51:2] at [115:66]', () => {
    const w = encodeCommand({ name: 'CMD_SYNC', fields: { CS: 1, MSIData: 0xdead, MSIAddress: 0x8000_1004, MSH: 3, MSIAttr: 0xf } });
    expect(Array.from(w)).toEqual([0x46 | (1 << 12) | (3 << 22) | (0xf << 24), 0xdead, 0x8000_1004, 0]);
  });

  it('CMD_RESUME, CMD_PRI_RESP and CMD_ATC_INV fields', () => {
    expect(Array.from(encodeCommand({ name: 'CMD_RESUME', fields: { StreamID: 2, STAG: 0xbeef, Ac: 1 } }))).toEqual([0x44 | (1 << 12), 2, 0xbeef, 0]);
    expect(Array.from(encodeCommand({ name: 'CMD_PRI_RESP', fields: { StreamID: 2, SSV: 1, SubstreamID: 3, PRGIndex: 0x1ff, Resp: 2 } }))).toEqual([
      0x41 | (1 << 11) | (3 << 12),
      2,
      0x1ff | (2 << 12),
      0,
    ]);
    expect(Array.from(encodeCommand({ name: 'CMD_ATC_INV', fields: { StreamID: 4, Global: 1, SSV: 1, Size: 52, Address: 0n } }))).toEqual([
      0x40 | (1 << 9) | (1 << 11),
      4,
      52,
      0,
    ]);
  });

  it('rejects input that cannot be encoded', () => {
    expect(() => encodeCommand({ name: 'CMD_CFGI_STE', fields: { Leaf: 2 } })).toThrow();
    expect(() => encodeCommand({ name: 'CMD_TLBI_NH_VA', fields: { Address: 0x1234n } })).toThrow(); // low 12 bits must be 0
    expect(() => encodeCommand({ name: 'CMD_TLBI_EL3_ALL' } as unknown as CommandInput)).toThrow();
  });
});

describe('CERROR_ILL [SPEC 4.1.3]', () => {
  const enc = (c: CommandInput) => encodeCommand(c);
  const cases: [CommandIllegalReason, Uint32Array, SmmuCapabilities?][] = [
    ['RESERVED_OPCODE', Uint32Array.of(0x00, 0, 0, 0)],
    ['RESERVED_OPCODE', Uint32Array.of(0x08, 0, 0, 0)],
    ['RESERVED_OPCODE', Uint32Array.of(0x80, 0, 0, 0)],
    ['SECURE_QUEUE_ONLY', Uint32Array.of(0x18, 0, 0, 0)],
    ['SECURE_QUEUE_ONLY', Uint32Array.of(0x60, 0, 0, 0)],
    ['FEATURE_NOT_IMPLEMENTED', Uint32Array.of(0x07, 0, 0, 0)],
    ['FEATURE_NOT_IMPLEMENTED', Uint32Array.of(0x70, 0, 0, 0)],
    ['STAGE1_NOT_IMPLEMENTED', enc({ name: 'CMD_CFGI_CD' }), { ...caps, s1p: false }],
    ['STAGE1_NOT_IMPLEMENTED', enc({ name: 'CMD_TLBI_NH_ALL' }), { ...caps, s1p: false }],
    ['STAGE2_NOT_IMPLEMENTED', enc({ name: 'CMD_TLBI_S2_IPA' }), { ...caps, s2p: false }],
    ['STAGE2_NOT_IMPLEMENTED', enc({ name: 'CMD_TLBI_S12_VMALL' }), { ...caps, s2p: false }],
    ['HYP_NOT_IMPLEMENTED', enc({ name: 'CMD_TLBI_EL2_ALL' }), { ...caps, hyp: false }],
    ['ATS_NOT_IMPLEMENTED', enc({ name: 'CMD_ATC_INV' }), { ...caps, ats: false }],
    ['PRI_NOT_IMPLEMENTED', enc({ name: 'CMD_PRI_RESP' }), { ...caps, pri: false }],
    ['STALL_NOT_SUPPORTED', enc({ name: 'CMD_RESUME' }), { ...caps, stallModel: 1 }],
    ['STALL_NOT_SUPPORTED', enc({ name: 'CMD_STALL_TERM' }), { ...caps, stallModel: 1 }],
    ['SSEC_ON_NON_SECURE_QUEUE', enc({ name: 'CMD_CFGI_STE', fields: { SSec: 1 } })],
    ['RESERVED_FIELD', Uint32Array.of(0x03, 0, 2, 0)],
    ['RESERVED_FIELD', Uint32Array.of(0x46, 0, 0, 0x10_0000)],
    ['RESERVED_FIELD', enc({ name: 'CMD_TLBI_NH_VA', fields: { NUM: 1 } })],
    ['RESERVED_FIELD', enc({ name: 'CMD_TLBI_NH_VA', fields: { TG: 1, TTL: 1, SCALE: 32 } })],
    ['TLBI_RANGE_RESERVED', enc({ name: 'CMD_TLBI_NH_VAA', fields: { TG: 3 } })],
    ['TLBI_TTL_RESERVED', enc({ name: 'CMD_TLBI_S2_IPA', fields: { TG: 2, TTL: 1 } })],
    ['SYNC_CS_RESERVED', enc({ name: 'CMD_SYNC', fields: { CS: 3 } })],
    ['PRI_RESP_RESERVED', enc({ name: 'CMD_PRI_RESP', fields: { Resp: 3 } })],
  ];
  for (const [reason, words, c] of cases) {
    it(`${reason}: ${COMMAND_ILLEGAL_REASONS[reason]} (opcode 0x${words[0]!.toString(16)})`, () => {
      expect(decodeCommand(words, c ?? caps)).toMatchObject({ illegal: true, reason, opcode: words[0]! & 0xff });
    });
  }

  it('the neighbouring legal cases', () => {
    expect(decodeCommand(enc({ name: 'CMD_TLBI_NH_VAA', fields: { TG: 3, NUM: 1 } }), caps).illegal).toBe(false);
    expect(decodeCommand(enc({ name: 'CMD_TLBI_S2_IPA', fields: { TG: 2, TTL: 1 } }), { ...caps, ds: true }).illegal).toBe(false);
    expect(decodeCommand(enc({ name: 'CMD_TLBI_NH_VA', fields: { TG: 1, TTL: 1, SCALE: 32 } }), { ...caps, ds: true }).illegal).toBe(false);
    expect(decodeCommand(enc({ name: 'CMD_SYNC', fields: { CS: 2 } }), caps).illegal).toBe(false);
    expect(decodeCommand(enc({ name: 'CMD_TLBI_NSNH_ALL' }), { ...caps, s1p: false }).illegal).toBe(false);
    // CMD_PREFETCH_ADDR: Stride [73:69] decodes; NS [74] is RES0 on the Non-secure queue, bit 75 RES0.
    const prefetch = decodeCommand(Uint32Array.of(0x02, 0, 0xe0, 0), caps);
    expect(prefetch.illegal).toBe(false);
    if (!prefetch.illegal) expect(prefetch.fields).toMatchObject({ Stride: 7, NS: 0 });
    expect(decodeCommand(Uint32Array.of(0x02, 0, 1 << 10, 0), caps)).toMatchObject({ illegal: true, reason: 'RESERVED_FIELD' });
    expect(decodeCommand(Uint32Array.of(0x02, 0, 1 << 11, 0), caps)).toMatchObject({ illegal: true, reason: 'RESERVED_FIELD' });
  });
});

describe('command round trip', () => {
  const legalValue = (name: DecodedCommandName, f: FieldSpec) => {
    const width = f.hi - f.lo + 1;
    const shift = BigInt(f.shift ?? 0);
    if (f.name === 'SSec' || f.name === 'NS') return fc.constant(0);
    if (f.name === 'TG') return fc.integer({ min: 1, max: 3 });
    if (f.name === 'TTL') return fc.constantFrom(2, 3);
    if (f.name === 'SCALE') return fc.integer({ min: 0, max: 31 });
    if (f.name === 'CS' || f.name === 'Resp') return fc.integer({ min: 0, max: 2 });
    void name;
    return f.big
      ? fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n }).map((v) => v << shift)
      : fc.bigInt({ min: 0n, max: (1n << BigInt(width)) - 1n }).map((v) => Number(v << shift));
  };

  it('decode(encode(command)) returns the command for every decoded opcode', () => {
    for (const name of Object.keys(COMMAND_FIELD_SETS) as DecodedCommandName[]) {
      const specs = (COMMAND_FIELD_SETS[name] as readonly FieldSpec[]).filter((f) => f.name !== 'Opcode');
      const record = fc.record(Object.fromEntries(specs.map((f) => [f.name, legalValue(name, f)])));
      fc.assert(
        fc.property(record, (fields) => {
          const words = encodeCommand({ name, fields } as CommandInput);
          expect(decodeCommand(words, caps)).toEqual({ illegal: false, name, opcode: COMMAND_OPCODES[name], fields });
        }),
        { numRuns: 25 },
      );
    }
  });

  it('random words decode to a command or CERROR_ILL, never an exception', () => {
    fc.assert(
      fc.property(fc.uint32Array({ minLength: 4, maxLength: 4 }), (words) => {
        const r = decodeCommand(words, caps);
        if (r.illegal) expect(Object.keys(COMMAND_ILLEGAL_REASONS)).toContain(r.reason);
        else {
          expect(encodeCommand(r as CommandInput)).toEqual(Uint32Array.from(words));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('invalidation spans', () => {
  it('range TLBI covers (NUM+1)·2^SCALE·granule bytes from Address', () => {
    expect(tlbiRange({ TG: 1, NUM: 3, SCALE: 2, Address: 0x10_0000n })).toEqual({ start: 0x10_0000n, length: 4n * 4n * 4096n });
    expect(tlbiRange({ TG: 3, NUM: 0, SCALE: 0, Address: 0 })).toEqual({ start: 0n, length: 65536n });
    expect(tlbiRange({ TG: 2, NUM: 31, SCALE: 31, Address: 0n })).toEqual({ start: 0n, length: 32n * (1n << 31n) * 16384n });
    expect(tlbiRange({ TG: 1, NUM: 0, SCALE: 45, Address: 0n })!.length).toBe((1n << 39n) * 4096n);
    expect(tlbiRange({ TG: 0, NUM: 0, SCALE: 0, Address: 0x1000n })).toBeUndefined();
  });

  it('CMD_CFGI_STE_RANGE covers 2^(Range+1) aligned StreamIDs; Range 31 is CMD_CFGI_ALL', () => {
    expect(cfgiSteRange({ StreamID: 0x1237, Range: 3 })).toEqual({ first: 0x1230, count: 16 });
    expect(cfgiSteRange({ StreamID: 0x1237, Range: 0 })).toEqual({ first: 0x1236, count: 2 });
    expect(cfgiSteRange({ StreamID: 0xffff_ffff, Range: 31 })).toEqual({ first: 0, count: 2 ** 32 });
  });

  it('CMD_ATC_INV covers 4KB·2^Size from the aligned Address; Size 52 is everything', () => {
    expect(atcInvRange({ Size: 0, Address: 0x1234_5000n })).toEqual({ start: 0x1234_5000n, length: 4096n });
    expect(atcInvRange({ Size: 4, Address: 0x1234_5000n })).toEqual({ start: 0x1234_0000n, length: 65536n });
    expect(atcInvRange({ Size: 52, Address: 0xffff_0000_0000_0000n })).toEqual({ start: 0n, length: 1n << 64n });
  });
});
