/**
 * Known-answer vectors for the SMMUv3 structures of `viommu decode`, worked out by hand from
 * shared/reference/arm-smmuv3.md (field positions, ILLEGAL rules, event and command encodings), through the
 * exported DECODABLES exactly as the CLI calls them, against the default (fully featured) capabilities.
 */
import { describe, expect, it } from 'vitest';
import { wordsFromU64s } from '@viommu/core';
import { DECODABLES } from '../src/decode/index';
import type { DecodedStructure } from '../src/decodable';

function decode(name: string, qwords: bigint[]): DecodedStructure {
  const d = DECODABLES.find((x) => x.name === name);
  if (!d) throw new Error(`no decodable ${name}`);
  return d.decode(wordsFromU64s(qwords, d.words64 * 64), { givenWords64: qwords.length });
}

describe('STE (SPEC 5.2)', () => {
  it('the issue example: a valid stage-1 STE with S1ContextPtr 0x43062000 and S1DSS = substream0', () => {
    const r = decode('ste', [0x4306_200bn, 0x2n]);
    expect(r.structure).toBe('STE');
    expect(r.fields).toMatchObject({ V: 1, Config: 5, S1Fmt: 0, S1ContextPtr: '0x43062000', S1CDMax: 0, S1DSS: 2, STRW: 0, S2VMID: 0 });
    expect(r.meanings).toMatchObject({ V: 'valid', Config: 'stage 1 translate, stage 2 bypass', S1DSS: 'substream 0' });
    expect(r.reserved).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.problems).toEqual([]);
  });

  it('V=0 is C_BAD_STE', () => {
    const r = decode('ste', [0x4306_200an, 0x2n]);
    expect(r.valid).toBe(false);
    expect(r.problems).toEqual(['C_BAD_STE: STE.V == 0']);
  });

  it('Config 0b000 with V=1 is legal: transactions abort silently', () => {
    const r = decode('ste', [0x1n]);
    expect(r.fields).toMatchObject({ V: 1, Config: 0 });
    expect(r.meanings.Config).toBe('abort (no event)');
    expect(r.valid).toBe(true);
  });

  it('STRW = 0b01 on a stage-1 stream is ILLEGAL (Hyp implemented)', () => {
    // STRW is bits [95:94]: bit 30 of the second 64-bit word.
    const r = decode('ste', [0x4306_200bn, 0x4000_0002n]);
    expect(r.fields.STRW).toBe(1);
    expect(r.valid).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/^C_BAD_STE: STRW == 0bx1/)]);
  });

  it('RES0 bits [58:56] set make it invalid', () => {
    const r = decode('ste', [0x0100_0000_4306_200bn, 0x2n]);
    expect(r.reserved).toEqual([{ bits: '58:56', value: '0x1' }]);
    expect(r.valid).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/^RES0 bits \[58:56\] set/)]);
  });

  it('a stage-2 STE: VMID 1, 39-bit IPA from level 1, 48-bit output, S2TTB 0x80000000', () => {
    // qw2: S2VMID 1; S2T0SZ 25 [165:160], S2SL0 1, S2IR0 1, S2OR0 1, S2SH0 3, S2TG 0, S2PS 5, S2AA64, S2R.
    const r = decode('ste', [0xdn, 0n, 0x040d_3559_0000_0001n, 0x8000_0000n]);
    expect(r.fields).toMatchObject({ Config: 6, S2VMID: 1, S2T0SZ: 25, S2SL0: 1, S2SH0: 3, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2TTB: '0x80000000' });
    expect(r.valid).toBe(true);
    // S2T0SZ 40 is beyond the maximum of 39.
    const bad = decode('ste', [0xdn, 0n, 0x040d_3568_0000_0001n, 0x8000_0000n]);
    expect(bad.fields.S2T0SZ).toBe(40);
    expect(bad.valid).toBe(false);
    expect(bad.problems[0]).toMatch(/^C_BAD_STE: /);
  });
});

describe('CD (SPEC 5.4)', () => {
  // qw0: T0SZ 16, IR0/OR0 WB, SH0 ISH, EPD1, V, IPS 48-bit, AA64, R, A, ASET, ASID 1; qw1: TTB0 0x45000000.
  const cd = [0x0001_e205_c000_3510n, 0x4500_0000n];

  it('a valid stage-1 CD for a 48-bit VA space with 4KB pages', () => {
    const r = decode('cd', cd);
    expect(r.fields).toMatchObject({ T0SZ: 16, TG0: 0, IR0: 1, OR0: 1, SH0: 3, EPD1: 1, V: 1, IPS: 5, AA64: 1, A: 1, ASID: 1, TTB0: '0x45000000' });
    expect(r.meanings).toMatchObject({ TG0: '4KB', SH0: 'Inner Shareable' });
    expect(r.valid).toBe(true);
  });

  it('V=0 is C_BAD_CD; T0SZ 40 is out of range; RES0 bits [121:120]', () => {
    expect(decode('cd', [0x0001_e205_4000_3510n, 0x4500_0000n]).problems).toEqual(['C_BAD_CD: CD.V == 0']);
    expect(decode('cd', [0x0001_e205_c000_3528n, 0x4500_0000n]).problems[0]).toMatch(/^C_BAD_CD: T0SZ/);
    const rsv = decode('cd', [cd[0]!, 0x0100_0000_4500_0000n]);
    expect(rsv.reserved).toEqual([{ bits: '121:120', value: '0x1' }]);
    expect(rsv.valid).toBe(false);
  });
});

describe('L1STD (SPEC 5.1) and L1CD (SPEC 5.3)', () => {
  it('L1STD: Span 9 is valid; Span 0 is invalid; Span 12 is reserved', () => {
    const r = decode('l1std', [0x4000_0009n]);
    expect(r.fields).toEqual({ Span: 9, L2Ptr: '0x40000000' });
    expect(r.valid).toBe(true);
    expect(decode('l1std', [0x4000_0000n]).problems).toEqual(['C_BAD_STREAMID (SPAN_INVALID)']);
    expect(decode('l1std', [0x4000_000cn]).problems).toEqual(['C_BAD_STREAMID (SPAN_RESERVED)']);
  });

  it('L1STD: bit 5 is RES0; an L2Ptr beyond the 48-bit OAS is F_STE_FETCH', () => {
    const rsv = decode('l1std', [0x4000_0029n]);
    expect(rsv.reserved).toEqual([{ bits: '5:5', value: '0x1' }]);
    expect(rsv.valid).toBe(false);
    expect(decode('l1std', [0x0001_0000_0000_0009n]).problems[0]).toMatch(/^F_STE_FETCH/);
  });

  it('L1CD: V=1 is valid; V=0 and an L2Ptr beyond the OAS are C_BAD_SUBSTREAMID', () => {
    const r = decode('l1cd', [0x4000_0001n]);
    expect(r.fields).toEqual({ V: 1, L2Ptr: '0x40000000' });
    expect(r.valid).toBe(true);
    expect(decode('l1cd', [0x4000_0000n]).problems).toEqual(['C_BAD_SUBSTREAMID (L1CD_INVALID)']);
    expect(decode('l1cd', [0x0001_0000_0000_0001n]).problems).toEqual(['C_BAD_SUBSTREAMID (L2PTR_OUT_OF_RANGE)']);
    expect(decode('l1cd', [0x4000_0003n]).reserved).toEqual([{ bits: '11:1', value: '0x1' }]);
  });
});

describe('event records (SPEC 7.3)', () => {
  it('F_TRANSLATION: stage 1, CLASS IN, read, SSID 5 of StreamID 0x10', () => {
    // qw0: Type 0x10, SSV, SubstreamID 5, StreamID 0x10; qw1: RnW (99), CLASS 2 (105:104); qw2: InputAddr.
    const r = decode('event', [0x10_0000_5810n, 0x208_0000_0000n, 0x1234_5678n]);
    expect(r.structure).toBe('event record F_TRANSLATION');
    expect(r.fields).toMatchObject({ Type: '0x10', SSV: 1, SubstreamID: '0x5', StreamID: '0x10', RnW: 1, S2: 0, CLASS: 2, InputAddr: '0x12345678' });
    expect(r.meanings).toMatchObject({ Type: 'F_TRANSLATION', CLASS: 'IN', RnW: 'read', S2: 'stage 1' });
    expect(r.valid).toBe(true);
  });

  it('F_CD_FETCH carries FetchAddr[55:3]; an unknown Type is invalid', () => {
    const r = decode('event', [0x9n, 0n, 0n, 0x4000_0040n]);
    expect(r.fields).toMatchObject({ Type: '0x9', FetchAddr: '0x40000040' });
    expect(r.fields).not.toHaveProperty('IPA');
    const bad = decode('event', [0xcn]);
    expect(bad.valid).toBe(false);
    expect(bad.problems).toEqual(['Type 0xc is not an architected event']);
  });
});

describe('commands (SPEC 4)', () => {
  it('CMD_TLBI_NH_VA for ASID 1, leaf only', () => {
    const r = decode('command', [0x0001_0000_0000_0012n, 0x7fff_f001n]);
    expect(r.structure).toBe('CMD_TLBI_NH_VA');
    expect(r.fields).toEqual({ Opcode: '0x12', VMID: 0, ASID: 1, NUM: 0, SCALE: 0, Leaf: 1, TTL: 0, TG: 0, Address: '0x7ffff000' });
    expect(r.meanings).toMatchObject({ Opcode: 'CMD_TLBI_NH_VA', Leaf: 'last level only' });
    expect(r.valid).toBe(true);
  });

  it('CMD_SYNC with CS = 0b11, a Reserved opcode, a RES0 bit, a Secure-only command: CERROR_ILL', () => {
    expect(decode('command', [0x1046n]).valid).toBe(true);
    expect(decode('command', [0x3046n]).problems).toEqual(['CERROR_ILL: CMD_SYNC: CMD_SYNC with CS == 0b11']);
    const reserved = decode('command', [0x0n]);
    expect(reserved.meanings.Opcode).toBe('reserved');
    expect(reserved.problems[0]).toMatch(/^CERROR_ILL: opcode 0x0: Reserved/);
    const res0 = decode('command', [0x10_0000_0003n, 0x3n]);
    expect(res0.fields).toMatchObject({ StreamID: '0x10', Leaf: 1 });
    expect(res0.reserved).toEqual([{ bits: '127:65', value: '0x1' }]);
    expect(res0.valid).toBe(false);
    expect(decode('command', [0x18n]).problems[0]).toMatch(/Secure Command queue/);
  });
});
