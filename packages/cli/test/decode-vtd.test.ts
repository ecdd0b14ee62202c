/**
 * Known-answer vectors for the VT-d structures of `viommu decode`, worked out by hand from
 * shared/reference/intel-vtd.md (bit positions, fault reasons, reserved masks), through the exported
 * DECODABLES exactly as the CLI calls them; plus a property test that the fl-entry / sl-entry display layouts
 * flag reserved bits exactly when the vendor's page-table formats reject the entry.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { wordsFromU64s } from '@viommu/core';
import { createFirstLevelFormat, createSecondLevelFormat } from '@viommu/intel-vtd';
import { DECODABLES } from '../src/decode/index';
import type { DecodeOptions, DecodedStructure } from '../src/decodable';

/** Decodes `name` from 64-bit words as `viommu decode` does: zero-filled, with the given-word count. */
function decode(name: string, qwords: bigint[], options: Omit<DecodeOptions, 'givenWords64'> = {}): DecodedStructure {
  const d = DECODABLES.find((x) => x.name === name);
  if (!d) throw new Error(`no decodable ${name}`);
  return d.decode(wordsFromU64s(qwords, d.words64 * 64), { givenWords64: qwords.length, ...options });
}

describe('root entries (§9.1, §9.2)', () => {
  it('legacy: P=1 with a context-table pointer is valid', () => {
    const r = decode('root-entry', [0x1234_5001n, 0n]);
    expect(r.fields).toEqual({ P: 1, CTP: '0x12345000' });
    expect(r.reserved).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.problems).toEqual([]);
  });

  it('legacy: bit 1 set is reserved (LRT.3, 0xA)', () => {
    const r = decode('root-entry', [0x1234_5003n]);
    expect(r.reserved).toEqual([{ bits: '11:1', value: '0x1' }]);
    expect(r.valid).toBe(false);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^fault 0xa ROOT_ENTRY_RESERVED \(LRT\.3\)/);
  });

  it('legacy: P=0 is not present (0x1); a CTP bit at or above HAW 48 is reserved (0xA)', () => {
    expect(decode('root-entry', [0x1234_5000n]).problems[0]).toMatch(/^fault 0x1 ROOT_ENTRY_NOT_PRESENT/);
    // Bit 52 of CTP: inside the CTP field, but above the 48-bit host address width.
    const r = decode('root-entry', [0x0010_0000_0000_1001n]);
    expect(r.fields.CTP).toBe('0x10000000001000');
    expect(r.reserved).toEqual([]);
    expect(r.problems[0]).toMatch(/^fault 0xa ROOT_ENTRY_RESERVED.*HAW 48/);
  });

  it('scalable: both halves present; reserved bits of the upper half (75:65) fault 0x3A', () => {
    const ok = decode('sm-root-entry', [0x100_0001n, 0x200_0001n]);
    expect(ok.fields).toEqual({ LP: 1, LCTP: '0x1000000', UP: 1, UCTP: '0x2000000' });
    expect(ok.valid).toBe(true);
    expect(decode('sm-root-entry', [0x1001n]).valid).toBe(true); // lower half only
    const bad = decode('sm-root-entry', [0x1001n, 0x200_0003n]);
    expect(bad.reserved).toEqual([{ bits: '75:65', value: '0x1' }]);
    expect(bad.problems).toEqual([expect.stringMatching(/^upper half: fault 0x3a SM_ROOT_ENTRY_RESERVED \(SRT\.3\)/)]);
    expect(decode('sm-root-entry', [0n, 0n]).problems[0]).toMatch(/^fault 0x39 SM_ROOT_ENTRY_NOT_PRESENT/);
  });
});

describe('context entries (§9.3, §9.4)', () => {
  it('legacy: multi-level, 48-bit AW, DID 1 is valid', () => {
    const r = decode('context-entry', [0x7f00_0001n, 0x102n]);
    expect(r.fields).toEqual({ P: 1, FPD: 0, TT: 0, SLPTPTR: '0x7f000000', AW: 2, AVAIL: 0, DID: 1 });
    expect(r.meanings).toEqual({ TT: 'multi-level', AW: '48-bit 4-level' });
    expect(r.valid).toBe(true);
  });

  it('legacy: AW=0 (30-bit, not in SAGAW) and TT=11b are invalid (LCT.4, 0x3)', () => {
    expect(decode('context-entry', [0x7f00_0001n, 0x100n]).problems[0]).toMatch(/^fault 0x3 CONTEXT_ENTRY_INVALID \(LCT\.4\).*SAGAW/);
    expect(decode('context-entry', [0x7f00_000dn, 0x102n]).problems[0]).toMatch(/^fault 0x3 CONTEXT_ENTRY_INVALID.*TT=11b/);
  });

  it('legacy: bit 71 set is reserved (LCT.3, 0xB)', () => {
    const r = decode('context-entry', [0x7f00_0001n, 0x182n]);
    expect(r.reserved).toEqual([{ bits: '71:71', value: '0x1' }]);
    expect(r.problems[0]).toMatch(/^fault 0xb CONTEXT_ENTRY_RESERVED \(LCT\.3\)/);
    expect(r.valid).toBe(false);
  });

  it('scalable: P, PASIDE, PDTS=1 (256 directory entries) is valid', () => {
    const r = decode('sm-context-entry', [0x500_0209n]);
    expect(r.structure).toBe('ScalableModeContextEntry');
    expect(r.fields).toMatchObject({ P: 1, FPD: 0, DTE: 0, PASIDE: 1, PRE: 0, PDTS: 1, PASIDDIRPTR: '0x5000000', RID_PASID: '0x0', RID_PRIV: 0 });
    expect(r.meanings.PDTS).toBe('256 entries');
    expect(r.valid).toBe(true);
  });

  it('scalable: bits 255:128 are reserved (SCT.3, 0x42); RID_PASID beyond PDTS is invalid (SCT.4, 0x43)', () => {
    const rsv = decode('sm-context-entry', [0x500_0209n, 0n, 1n, 0n]);
    expect(rsv.reserved).toEqual([{ bits: '255:128', value: '0x1' }]);
    expect(rsv.problems[0]).toMatch(/^fault 0x42 SM_CONTEXT_ENTRY_RESERVED/);
    // PDTS=0: 128 directory entries × 64 PASIDs = 8192 PASIDs; RID_PASID 0x2000 = 8192 is one too many.
    expect(decode('sm-context-entry', [0x500_0009n, 0x2000n]).problems[0]).toMatch(/^fault 0x43 SM_CONTEXT_ENTRY_INVALID/);
  });
});

describe('PASID directory and PASID-table entries (§9.5, §9.6)', () => {
  it('directory entry: present is valid; bit 2 reserved (0x52); P=0 with FPD (0x51)', () => {
    const ok = decode('pasid-dir-entry', [0x600_0001n]);
    expect(ok.fields).toEqual({ P: 1, FPD: 0, SMPTBLPTR: '0x6000000' });
    expect(ok.valid).toBe(true);
    const rsv = decode('pasid-dir-entry', [0x600_0005n]);
    expect(rsv.reserved).toEqual([{ bits: '11:2', value: '0x1' }]);
    expect(rsv.problems[0]).toMatch(/^fault 0x52 SM_PASID_DIR_RESERVED \(SPD\.3\)/);
    expect(decode('pasid-dir-entry', [0x600_0002n]).problems[0]).toMatch(/^fault 0x51 SM_PASID_DIR_NOT_PRESENT/);
  });

  it('PASID entry: a nested entry (PGTT=3) as Linux writes it is valid', () => {
    // qw0: P, AW=2 (bits 4:2), PGTT=3 (bits 8:6), SLPTPTR 0x8000000; qw1: DID 5, PWSNP (bit 87);
    // qw2: SRE (bit 128), FLPM 0, FLPTPTR 0x9000000 (bits 191:140).
    const r = decode('pasid-entry', [0x800_00c9n, 0x80_0005n, 0x900_0001n]);
    expect(r.structure).toBe('ScalableModePasidTableEntry');
    expect(r.fields).toMatchObject({ P: 1, AW: 2, PGTT: 3, SLPTPTR: '0x8000000', DID: 5, PWSNP: 1, SRE: 1, FLPM: 0, FLPTPTR: '0x9000000' });
    expect(r.meanings).toMatchObject({ PGTT: 'nested', AW: '48-bit 4-level', FLPM: '4-level' });
    expect(r.valid).toBe(true);
  });

  it('PASID entry: PGTT=5 is invalid (SPT.4, 0x5B); bit 10 is reserved (SPT.3, 0x5A)', () => {
    expect(decode('pasid-entry', [0x800_0149n]).problems[0]).toMatch(/^fault 0x5b SM_PASID_ENTRY_INVALID.*PGTT=5/);
    const rsv = decode('pasid-entry', [0x800_04c9n]);
    expect(rsv.reserved).toEqual([{ bits: '11:10', value: '0x1' }]);
    expect(rsv.problems[0]).toMatch(/^fault 0x5a SM_PASID_ENTRY_RESERVED/);
  });
});

describe('fault recording register (§11.4.14)', () => {
  it('a PASID-entry-not-present read fault from 00:02.0, PASID 5', () => {
    // qw1: F (127), T=read (126), PV=5 (123:104), FR=0x59 (103:96), PP (95), SID 0x0010 (79:64).
    const r = decode('fault-record', [0x1234_5000n, 0xc000_0559_8000_0010n]);
    expect(r.fields).toMatchObject({ FI: '0x12345000', SID: 16, PP: 1, FR: '0x59', PV: '0x5', T: 1, F: 1 });
    expect(r.meanings).toMatchObject({ SID: '00:02.0', T: 'read', FR: expect.stringMatching(/^SM_PASID_ENTRY_NOT_PRESENT \(SPT\.2\)/) });
    expect(r.valid).toBe(true);
  });

  it('F=0 holds no fault; reserved bits 11:0; an undefined FR', () => {
    const r = decode('fault-record', [0x1234_5001n, 0x0000_0020_0000_0000n]);
    expect(r.reserved).toEqual([{ bits: '11:0', value: '0x1' }]);
    expect(r.problems).toEqual(['F=0: the register holds no fault', 'reserved bits set', 'FR=0x20 is not a defined fault reason']);
    expect(r.valid).toBe(false);
  });
});

describe('invalidation-queue descriptors (§6.5.2)', () => {
  it('128-bit page-selective IOTLB invalidation', () => {
    // qw0: type 2, G=11b page (5:4), DW (6), DR (7), DID 1 (31:16); qw1: ADDR 0x7000, IH (70), AM 0.
    const r = decode('qi-descriptor', [0x1_00f2n, 0x7040n]);
    expect(r.structure).toBe('iotlb_inv_dsc (128-bit)');
    expect(r.fields).toEqual({ TYPE_LO: 2, G: 3, DW: 1, DR: 1, TYPE_HI: 0, DID: 1, AM: 0, IH: 1, ADDR: '0x7000' });
    expect(r.meanings).toEqual({ TYPE_LO: 'iotlb', G: 'page' });
    expect(r.valid).toBe(true);
  });

  it('256-bit when 3 or 4 words are given: a wait descriptor; non-zero qw2 is IQEI 4', () => {
    const ok = decode('qi-descriptor', [0x1_0000_0025n, 0x3000n, 0n, 0n]);
    expect(ok.structure).toBe('inv_wait_dsc (256-bit)');
    expect(ok.fields).toMatchObject({ TYPE_LO: 5, SW: 1, STDATA: '0x1', STADDR: '0x3000' });
    expect(ok.valid).toBe(true);
    const bad = decode('qi-descriptor', [0x1_0000_0025n, 0x3000n, 1n]);
    expect(bad.structure).toBe('inv_wait_dsc (256-bit)');
    expect(bad.reserved).toEqual([{ bits: '255:128', value: '0x1' }]);
    expect(bad.problems).toEqual([expect.stringMatching(/^IQEI 4 \(reserved field violation\)/)]);
  });

  it('256-bit page-group response carries private data in qw2/qw3', () => {
    // qw0: type 9, RC 0, RID 0x10 (31:16), PASID 3 (51:32); qw1: LPIG (66), PRGI 2 (75:67).
    const r = decode('qi-descriptor', [0x3_0010_0009n, 0x14n, 0xaan, 0xbbn]);
    expect(r.structure).toBe('page_grp_resp_dsc (256-bit)');
    expect(r.fields).toMatchObject({ RID: 16, PASID: '0x3', LPIG: 1, PRGI: 2, PRIVATE_DATA_QW2: '0xaa', PRIVATE_DATA_QW3: '0xbb' });
    expect(r.valid).toBe(true);
  });

  it('undefined type (IQEI 3), reserved granularity, reserved bit 8', () => {
    const type = decode('qi-descriptor', [0xfn]);
    expect(type.valid).toBe(false);
    expect(type.problems[0]).toMatch(/^IQEI 3 \(invalid descriptor type\)/);
    expect(decode('qi-descriptor', [0x1_0002n]).problems[0]).toMatch(/^IQEI 4.*granularity G=0/);
    const rsv = decode('qi-descriptor', [0x1_0132n]);
    expect(rsv.reserved).toEqual([{ bits: '8:8', value: '0x1' }]);
    expect(rsv.valid).toBe(false);
  });
});

describe('first-level paging entries (§9.7)', () => {
  it('a 4 KiB PTE (default level 1) with XD', () => {
    const r = decode('fl-entry', [0x8000_0000_1234_5067n]);
    expect(r.structure).toBe('FL-PTE (4 KiB page, level 1)');
    expect(r.fields).toEqual({ P: 1, 'R/W': 1, 'U/S': 1, PWT: 0, PCD: 0, A: 1, D: 1, PAT: 0, G: 0, EA: 0, ADDR: '0x12345000', XD: 1 });
    expect(r.valid).toBe(true);
  });

  it('a 2 MiB leaf at level 2; bit 13 of it is reserved (SFL.3, 0x72)', () => {
    const ok = decode('fl-entry', [0x4000_00e7n], { level: 2 });
    expect(ok.structure).toBe('FL-PDE (2 MiB page, level 2)');
    expect(ok.fields).toMatchObject({ PS: 1, PAT: 0, ADDR: '0x40000000' });
    expect(ok.valid).toBe(true);
    const bad = decode('fl-entry', [0x4000_20e7n], { level: 2 });
    expect(bad.reserved).toEqual([{ bits: '20:13', value: '0x1' }]);
    expect(bad.problems).toEqual([expect.stringMatching(/^fault 0x72 SM_FL_ENTRY_RESERVED \(SFL\.3\): reserved bits set: \[20:13\]/)]);
  });

  it('PS in a PML4E is reserved; address bit 48 is beyond HAW; P=0 is not present (0x71)', () => {
    const ps = decode('fl-entry', [0x1234_5087n], { level: 4 });
    expect(ps.structure).toBe('FL-PML4E (table, level 4)');
    expect(ps.reserved).toEqual([{ bits: '7:7', value: '0x1' }]);
    expect(ps.problems[0]).toContain('[7:7] PS in a PML4E');
    const haw = decode('fl-entry', [0x0001_0000_0000_1003n]);
    expect(haw.reserved).toEqual([{ bits: '51:48', value: '0x1' }]);
    expect(haw.valid).toBe(false);
    expect(decode('fl-entry', [0x1234_5066n]).problems).toEqual([expect.stringMatching(/^fault 0x71 SM_FL_ENTRY_NOT_PRESENT.*P=0/)]);
  });
});

describe('second-level paging entries (§9.8)', () => {
  it('a read/write 4 KiB PTE with SNP (allowed in scalable-mode leaves)', () => {
    const r = decode('sl-entry', [0x1234_5803n]);
    expect(r.structure).toBe('SL-PTE (4 KiB page, level 1)');
    expect(r.fields).toEqual({ R: 1, W: 1, X: 0, EMT: 0, IPAT: 0, A: 0, D: 0, SNP: 1, ADDR: '0x12345000' });
    expect(r.valid).toBe(true);
  });

  it('TM (bit 62) is reserved; SNP in a table entry is reserved (SSL.3, 0x7A)', () => {
    const tm = decode('sl-entry', [0x4000_0000_1234_5003n]);
    expect(tm.reserved).toEqual([{ bits: '62:62', value: '0x1' }]);
    expect(tm.problems[0]).toMatch(/^fault 0x7a SM_SL_ENTRY_RESERVED \(SSL\.3\).*TM/);
    const snp = decode('sl-entry', [0x1234_5803n], { level: 2 });
    expect(snp.structure).toBe('SL-PDE (table, level 2)');
    expect(snp.reserved).toEqual([{ bits: '11:11', value: '0x1' }]);
  });

  it('a 1 GiB leaf at level 3; R=W=0 is not present (SSL.2, 0x79)', () => {
    const r = decode('sl-entry', [0x8000_0083n], { level: 3 });
    expect(r.structure).toBe('SL-PDPE (1 GiB page, level 3)');
    expect(r.fields).toMatchObject({ PS: 1, ADDR: '0x80000000' });
    expect(r.valid).toBe(true);
    expect(decode('sl-entry', [0x1234_5004n]).problems).toEqual([expect.stringMatching(/^fault 0x79 SM_SL_PERMISSION_ERROR \(SSL\.2\): not present \(R=0 and W=0\)/)]);
  });
});

describe('fl-entry / sl-entry layouts agree with the vendor page-table formats', () => {
  // Biased entries: masks keep some high and frame bits clear so that valid entries are common.
  const entry = fc
    .tuple(
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.constantFrom(0xfff, 0xffff_f7ff, 0xc000_0fff, 0xffe0_0fff, 0xffff_ffff),
      fc.constantFrom(0, 0xffff, 0x8000_ffff, 0x4000_ffff, 0xfff0_ffff, 0xffff_ffff),
    )
    .map(([lo, hi, loMask, hiMask]) => ({ lo: (lo & loMask) >>> 0, hi: (hi & hiMask) >>> 0 }));
  const level = fc.integer({ min: 1, max: 5 });
  const qword = (e: { lo: number; hi: number }) => (BigInt(e.hi) << 32n) | BigInt(e.lo);

  it('first level: a present entry is valid exactly when no reserved range is set, and ADDR is the format address', () => {
    const format = createFirstLevelFormat({ levels: 5, hawBits: 48, nxe: true, fl1gp: true });
    fc.assert(
      fc.property(entry, level, (e, l) => {
        const r = decode('fl-entry', [qword(e)], { level: l });
        if ((e.lo & 1) === 0) return !r.valid;
        if (r.valid !== (r.reserved.length === 0)) return false;
        return !r.valid || r.fields.ADDR === `0x${format.address(e.hi, e.lo, 5 - l).toString(16)}`;
      }),
      { numRuns: 2000 },
    );
  });

  it('second level: the same, with presence meaning R or W', () => {
    const format = createSecondLevelFormat({ levels: 5, hawBits: 48, sllps: 3, leafSnp: true });
    fc.assert(
      fc.property(entry, level, (e, l) => {
        const r = decode('sl-entry', [qword(e)], { level: l });
        if ((e.lo & 3) === 0) return !r.valid;
        if (r.valid !== (r.reserved.length === 0)) return false;
        return !r.valid || r.fields.ADDR === `0x${format.address(e.hi, e.lo, 5 - l).toString(16)}`;
      }),
      { numRuns: 2000 },
    );
  });
});
