import { describe, expect, it } from 'vitest';
import { Access, isIommuError, type DmaRequest } from '@viommu/core';
import {
  CD,
  encodeCommand,
  GUEST_STE_WORD1_MASK,
  installNestedSte,
  removeNestedSte,
  S1DssValue,
  STE,
  type SmmuV3Domain,
} from '../src/index';
import { names, recordCommands } from './support/commands';
import { buildNestedGuest, GUEST_DATA, GUEST_RAM, GUEST_RAM_HPA, type NestedGuest } from './support/setup';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIommuError(e) ? e.code : String(e);
  }
  return undefined;
}

function guest(options: Parameters<typeof buildNestedGuest>[0] = {}): NestedGuest {
  const g = buildNestedGuest({ pasidBits: 4, ...options });
  for (const [i, p] of [0, 1, 3].entries()) {
    g.guest.attachPasid(p);
    g.guest.map(p, 0x10_0000, GUEST_DATA + i * 0x1000, 0x1000, { read: true, write: true, user: true });
  }
  return g;
}

const describeDma = (g: NestedGuest, req: DmaRequest) => {
  const r = g.iommu.translate(req, { uncached: true });
  return r.ok ? `ok ${r.output.toString(16)}` : r.fault.vendor.name;
};

describe('iommufd form: a raw guest STE', () => {
  const choices = [
    { format: undefined, pasidBits: 4, choice: { pasid0DmaNoPasid: true } },
    { format: undefined, pasidBits: 4, choice: { s1dss: S1DssValue.TERMINATE } },
    { format: undefined, pasidBits: 4, choice: { s1dss: S1DssValue.BYPASS } },
    { format: '2-level-64k' as const, pasidBits: 12, choice: { pasid0DmaNoPasid: true } },
    { format: '2-level-4k' as const, pasidBits: 8, choice: {} },
  ];

  it('reaches exactly the STE bindPasidTable installs for the equivalent config, and the same DMA results', () => {
    for (const { format, pasidBits, choice } of choices) {
      const a = guest({ pasidBits, ...(format ? { cdTableFormat: format } : {}) });
      const b = guest({ pasidBits, ...(format ? { cdTableFormat: format } : {}) });
      a.iommu.bindPasidTable(a.domain, a.device, a.guest.pasidTableConfig(choice));
      installNestedSte(b.domain, b.device, b.guest.guestSte(choice));
      expect(Array.from(b.smmu.steOf(b.device))).toEqual(Array.from(a.smmu.steOf(a.device)));
      for (const pasid of [undefined, 0, 1, 2, 3]) {
        const req = { device: a.device, pasid, address: 0x10_0000, access: Access.READ };
        expect(describeDma(b, req)).toEqual(describeDma(a, req));
      }
    }
  });

  it('V = 0 or Config = abort blocks the device; Config = bypass is stage 2 only; removing restores stage 2', () => {
    const g = guest();
    const s2 = Array.from(g.smmu.steOf(g.device));
    installNestedSte(g.domain, g.device, [0n, 0n]);
    expect(STE.decode(g.smmu.steOf(g.device))).toMatchObject({ V: 1, Config: 0 });
    installNestedSte(g.domain, g.device, [0b1001n, 0n]); // V = 1, Config = 0b100
    expect(Array.from(g.smmu.steOf(g.device))).toEqual(s2);
    installNestedSte(g.domain, g.device, [0b0001n, 0n]); // V = 1, Config = 0b000
    expect(describeDma(g, { device: g.device, address: GUEST_RAM.base, access: Access.READ })).toBe('SILENT_ABORT');
    installNestedSte(g.domain, g.device, g.guest.guestSte({ pasid0DmaNoPasid: true }));
    expect(describeDma(g, { device: g.device, address: 0x10_0000, access: Access.READ })).toBe(`ok ${(GUEST_RAM_HPA + GUEST_DATA - GUEST_RAM.base).toString(16)}`);
    removeNestedSte(g.domain, g.device);
    expect(Array.from(g.smmu.steOf(g.device))).toEqual(s2);
  });

  it('refuses every field the host owns and every unsupported value, changing nothing', () => {
    const g = guest();
    const [w0, w1] = g.guest.guestSte();
    const ste = Array.from(g.smmu.steOf(g.device));
    const cmds = recordCommands(g.smmu);
    const bad: [string, [bigint, bigint], string][] = [
      ['reserved word-0 bits [58:56]', [w0 | (1n << 56n), w1], 'CONFIG_UNSUPPORTED'],
      ['MEV (bit 83)', [w0, w1 | (1n << 19n)], 'CONFIG_UNSUPPORTED'],
      ['STRW (bits 95:94)', [w0, w1 | (2n << 30n)], 'CONFIG_UNSUPPORTED'],
      ['S1MPAM (bit 90)', [w0, w1 | (1n << 26n)], 'CONFIG_UNSUPPORTED'],
      ['SHCFG (bits 109:108)', [w0, w1 | (1n << 44n)], 'CONFIG_UNSUPPORTED'],
      ['Config = stage 2', [(w0 & ~0xen) | (0b110n << 1n), w1], 'CONFIG_UNSUPPORTED'],
      ['Config = nested', [w0 | (0b111n << 1n), w1], 'CONFIG_UNSUPPORTED'],
      ['Config = reserved 0b001', [(w0 & ~0xen) | (0b001n << 1n), w1], 'CONFIG_UNSUPPORTED'],
      ['EATS = split stage', [w0, w1 | (2n << 28n)], 'CONFIG_UNSUPPORTED'],
      ['S1Fmt = 0b11', [w0 | (3n << 4n), w1], 'CONFIG_VENDOR'],
      ['S1DSS = 0b11', [w0, w1 | 3n], 'CONFIG_VENDOR'],
      ['S1CDMax > SSIDSIZE', [(w0 & ~(0x1fn << 59n)) | (21n << 59n), w1], 'CONFIG_PASID_BITS'],
      ['misaligned S1ContextPtr', [w0 + 0x40n, w1], 'CONFIG_ALIGNMENT'],
      ['S1ContextPtr beyond the IPA space', [(w0 & ~(((1n << 50n) - 1n) << 6n)) | (1n << 50n), w1], 'CONFIG_ADDRESS'],
    ];
    for (const [what, words, expected] of bad) expect([what, code(() => installNestedSte(g.domain, g.device, words))]).toEqual([what, expected]);
    expect(Array.from(g.smmu.steOf(g.device))).toEqual(ste);
    expect(cmds).toEqual([]);
    expect(GUEST_STE_WORD1_MASK).toBe(0x3800_00ffn);
  });

  it('does not mix with bindPasidTable on the same device', () => {
    const g = guest();
    g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig());
    expect(code(() => installNestedSte(g.domain, g.device, g.guest.guestSte()))).toBe('DEVICE_BOUND');
    g.iommu.unbindPasidTable(g.domain, g.device);
    installNestedSte(g.domain, g.device, g.guest.guestSte());
    expect(code(() => g.iommu.bindPasidTable(g.domain, g.device, g.guest.pasidTableConfig()))).toBe('BIND_ALREADY');
  });
});

describe('guest invalidation commands through a vIOMMU', () => {
  const vsid = 7;
  const setup = () => {
    const g = guest({ path: 'native', vsid });
    installNestedSte(g.domain, g.device, g.guest.guestSte({ pasid0DmaNoPasid: true }));
    return { g, v: g.viommu!, vmid: (g.domain.vendor as SmmuV3Domain).vmid! };
  };

  it('rewrites the VMID of TLBIs and the StreamID of CD / ATC commands; NSNH_ALL becomes NH_ALL of the VM', () => {
    const { g, v, vmid } = setup();
    const cmds = recordCommands(g.smmu);
    v.invalidateGuestCommands([
      encodeCommand({ name: 'CMD_TLBI_NH_VA', fields: { VMID: 0x55, ASID: 3, Address: 0x10_0000n, Leaf: 1 } }),
      encodeCommand({ name: 'CMD_TLBI_NH_VAA', fields: { VMID: 0, Address: 0x20_0000n } }),
      encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: 0, ASID: 3 } }),
      encodeCommand({ name: 'CMD_TLBI_NH_ALL', fields: { VMID: 9 } }),
      encodeCommand({ name: 'CMD_TLBI_NSNH_ALL' }),
      encodeCommand({ name: 'CMD_CFGI_CD', fields: { StreamID: vsid, SubstreamID: 1, Leaf: 1 } }),
      encodeCommand({ name: 'CMD_CFGI_CD_ALL', fields: { StreamID: vsid } }),
      encodeCommand({ name: 'CMD_ATC_INV', fields: { StreamID: vsid, Size: 52 } }),
    ]);
    expect(cmds.map((c) => ({ name: c.name, VMID: c.fields['VMID'], StreamID: c.fields['StreamID'] }))).toEqual([
      { name: 'CMD_TLBI_NH_VA', VMID: vmid, StreamID: undefined },
      { name: 'CMD_TLBI_NH_VAA', VMID: vmid, StreamID: undefined },
      { name: 'CMD_TLBI_NH_ASID', VMID: vmid, StreamID: undefined },
      { name: 'CMD_TLBI_NH_ALL', VMID: vmid, StreamID: undefined },
      { name: 'CMD_TLBI_NH_ALL', VMID: vmid, StreamID: undefined },
      { name: 'CMD_CFGI_CD', VMID: undefined, StreamID: g.device },
      { name: 'CMD_CFGI_CD_ALL', VMID: undefined, StreamID: g.device },
      { name: 'CMD_ATC_INV', VMID: undefined, StreamID: g.device },
      { name: 'CMD_SYNC', VMID: undefined, StreamID: undefined },
    ]);
    expect(cmds[0]!.fields).toMatchObject({ ASID: 3, Address: 0x10_0000n, Leaf: 1 });
    // The 64-bit form is accepted too.
    const w = encodeCommand({ name: 'CMD_TLBI_NH_ASID', fields: { ASID: 4 } });
    cmds.length = 0;
    v.invalidateGuestCommands([[(BigInt(w[1]!) << 32n) | BigInt(w[0]!), (BigInt(w[3]!) << 32n) | BigInt(w[2]!)]]);
    expect(cmds[0]).toMatchObject({ name: 'CMD_TLBI_NH_ASID', fields: { VMID: vmid, ASID: 4 } });
  });

  it('refuses other commands, malformed ones and unknown virtual StreamIDs — the whole batch, nothing runs', () => {
    const { g, v } = setup();
    const ok = encodeCommand({ name: 'CMD_TLBI_NH_ALL' });
    const refused = [
      encodeCommand({ name: 'CMD_CFGI_STE', fields: { StreamID: vsid } }),
      encodeCommand({ name: 'CMD_CFGI_STE_RANGE', fields: { Range: 31 } }),
      encodeCommand({ name: 'CMD_TLBI_S2_IPA', fields: { Address: 0x1000 } }),
      encodeCommand({ name: 'CMD_TLBI_S12_VMALL' }),
      encodeCommand({ name: 'CMD_TLBI_EL2_ALL' }),
      encodeCommand({ name: 'CMD_SYNC' }),
      encodeCommand({ name: 'CMD_PREFETCH_CONFIG', fields: { StreamID: vsid } }),
      encodeCommand({ name: 'CMD_CFGI_CD', fields: { StreamID: vsid + 1, SubstreamID: 1 } }),
      encodeCommand({ name: 'CMD_CFGI_CD', fields: { StreamID: vsid, SSec: 1 } }),
      Uint32Array.of(0x7f, 0, 0, 0),
      Uint32Array.of(0x10 | (1 << 8), 0, 0, 0), // CMD_TLBI_NH_ALL with a RES0 bit set
    ];
    const cmds = recordCommands(g.smmu);
    for (const c of refused) expect(code(() => v.invalidateGuestCommands([ok, c]))).toBe('INVALIDATE_ARGUMENT');
    expect(cmds).toEqual([]);
  });

  it('guest unmap through the vIOMMU keeps the TLB coherent', () => {
    const { g } = setup();
    const req = { device: g.device, pasid: 1, address: 0x10_0000, access: Access.READ };
    expect(g.iommu.translate(req).ok).toBe(true);
    expect(g.iommu.translate(req)).toMatchObject({ cached: true });
    const cmds = recordCommands(g.smmu);
    g.guest.unmap(1, 0x10_0000, 0x1000);
    expect(names(cmds)).toEqual(['CMD_TLBI_NH_VA', 'CMD_SYNC']);
    expect(g.iommu.translate(req)).toMatchObject({ ok: false, fault: { vendor: { name: 'F_TRANSLATION' } } });
  });
});

describe('guest events through a vIOMMU', () => {
  it('forwards the guest-visible events with the virtual StreamID and keeps the others for the host', () => {
    const g = guest({ path: 'native', vsid: 42 });
    // PASID 5: a CD whose TTB0 is a GPA stage 2 maps to unbacked host memory → F_WALK_EABT (host only).
    g.domain.map(0x5000_0000, 0x7000_0000, 0x1000, { read: true, write: true });
    const cd = g.guest.cdTable.readCd(1);
    CD.set(cd, 'TTB0', 0x5000_0000n);
    CD.set(cd, 'ASID', 99);
    g.guest.cdTable.writeCd(5, cd);
    installNestedSte(g.domain, g.device, g.guest.guestSte({ s1dss: S1DssValue.TERMINATE }));
    const v = g.viommu!;
    const dma = (pasid: number | undefined, address: number) => g.iommu.translate({ device: g.device, pasid, address, access: Access.READ });
    dma(1, 0x90_0000); // F_TRANSLATION
    dma(2, 0x10_0000); // C_BAD_CD
    dma(undefined, 0x10_0000); // F_STREAM_DISABLED
    dma(99, 0x10_0000); // C_BAD_SUBSTREAMID
    dma(5, 0x10_0000); // F_WALK_EABT
    const events = v.readEvents();
    expect(events.map((e) => [e[0]! & 0xff, e[1]])).toEqual([
      [0x10, 42],
      [0x0a, 42],
      [0x06, 42],
      [0x08, 42],
    ]);
    expect(g.smmu.hostEvents.map((e) => [e[0]! & 0xff, e[1]])).toEqual([[0x0b, g.device]]);
    // The forwarded record is the host record with only the StreamID rewritten.
    const host = g.smmu.recordToFault(events[0]!);
    expect(host).toMatchObject({ reason: 'pte-fetch', pasid: 1, addr: 0x90_0000n });
    expect(v.readEvents()).toEqual([]);
  });
});
