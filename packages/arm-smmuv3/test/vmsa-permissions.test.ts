import { describe, expect, it } from 'vitest';
import { Access, MemoryFetcher, Perm, SparseMemory, WalkState, WalkStop, walkStage, write64Big, type PageTableFormat } from '@viommu/core';
import { createStage1Format, createStage2Format } from '../src/vmsa/index';

const R = Access.READ;
const W = Access.WRITE;
const X = Access.EXEC;
const P = Access.PRIV;
/** Every non-empty read/write/exec combination, unprivileged and privileged. */
const ACCESSES = [1, 2, 3, 4, 5, 6, 7].flatMap((a) => [a, a | P]);

type Level = 'none' | 'RO' | 'RW';

interface S1Case {
  ap: number; // AP[2:1]
  apTable: number; // APTable[1:0]
  pxn: boolean;
  uxn: boolean;
  pxnTable: boolean;
  uxnTable: boolean;
  had: boolean;
  wxn: boolean;
  pan: boolean;
}

/**
 * Independent stage-1 permission reference, written from the ARM ARM tables (D8.4): data access per AP[2:1],
 * APTable restrictions, PAN, execute-never rules including "EL0-writable ⇒ PXN" and WXN.
 */
function s1Allowed(c: S1Case, access: number): boolean {
  const apTable = c.had ? 0 : c.apTable;
  const pxnT = c.had ? false : c.pxnTable;
  const uxnT = c.had ? false : c.uxnTable;
  const table: Record<number, [Level, Level]> = { 0: ['RW', 'none'], 1: ['RW', 'RW'], 2: ['RO', 'none'], 3: ['RO', 'RO'] };
  let [priv, user] = table[c.ap]!;
  if (apTable & 1) user = 'none';
  if (apTable & 2) {
    if (priv === 'RW') priv = 'RO';
    if (user === 'RW') user = 'RO';
  }
  const userX = !c.uxn && !uxnT;
  const privX = !c.pxn && !pxnT && user !== 'RW';
  if (c.pan && user !== 'none') priv = 'none';
  const level = access & P ? priv : user;
  let exec = access & P ? privX : userX;
  if (c.wxn && level === 'RW') exec = false;
  if (access & R && level === 'none') return false;
  if (access & W && level !== 'RW') return false;
  if (access & X && !exec) return false;
  return true;
}

/** The Perm mask the reference grants, one right at a time. */
function refMask(allowed: (access: number) => boolean): number {
  const rights: [number, number][] = [
    [R, Perm.UR],
    [W, Perm.UW],
    [X, Perm.UX],
    [R | P, Perm.PR],
    [W | P, Perm.PW],
    [X | P, Perm.PX],
  ];
  return rights.reduce((m, [a, bit]) => (allowed(a) ? m | bit : m), 0);
}

function expectedDetail(allowed: (access: number) => boolean, access: number): string {
  const priv = access & P;
  if (access & X && !allowed(X | priv)) return 'exec';
  if (access & W && !allowed(W | priv)) return 'write';
  return 'read';
}

function checkWalk(format: PageTableFormat, fetcher: MemoryFetcher, input: number, allowed: (a: number) => boolean, label: string): void {
  const st = new WalkState();
  for (const access of ACCESSES) {
    const stop = walkStage(format, 0, input, access, fetcher, st);
    if (allowed(access)) {
      expect(stop, `${label} access ${access}`).toBe(WalkStop.OK);
      expect(st.permitted, label).toBe(refMask(allowed));
    } else {
      expect(stop, `${label} access ${access}`).toBe(WalkStop.FAULT);
      expect([st.fault, st.faultDetail], `${label} access ${access}`).toEqual(['permission', expectedDetail(allowed, access)]);
    }
  }
}

describe('stage-1 permissions vs an independent reference', () => {
  it('every AP × APTable × PXN/UXN × PXNTable/UXNTable × HAD × WXN × PAN combination, every access', () => {
    const mem = new SparseMemory().back(0, 0x10_0000);
    const fetcher = new MemoryFetcher(mem);
    let walks = 0;
    for (const had of [false, true]) {
      for (const wxn of [false, true]) {
        for (const pan of [false, true]) {
          // 4K, TxSZ 34: start at level 2, root at 0, one table at 0x2000.
          const f = createStage1Format({ granuleBits: 12, tsz: 34, outputBits: 40, had, wxn, pan });
          for (let bits = 0; bits < 256; bits++) {
            const c: S1Case = {
              ap: bits & 3,
              apTable: (bits >> 2) & 3,
              pxn: !!(bits & 16),
              uxn: !!(bits & 32),
              pxnTable: !!(bits & 64),
              uxnTable: !!(bits & 128),
              had,
              wxn,
              pan,
            };
            const table =
              0x2003n | (BigInt(c.apTable) << 61n) | (c.uxnTable ? 1n << 60n : 0n) | (c.pxnTable ? 1n << 59n : 0n);
            const page = 0x10_0743n & ~0xc0n | (BigInt(c.ap) << 6n) | (c.pxn ? 1n << 53n : 0n) | (c.uxn ? 1n << 54n : 0n);
            write64Big(mem, 0, table);
            write64Big(mem, 0x2000, page);
            checkWalk(f, fetcher, 0x123, (a) => s1Allowed(c, a), JSON.stringify(c));
            walks += ACCESSES.length;
          }
        }
      }
    }
    expect(walks).toBe(8 * 256 * 14);
  });

  it('accumulates table restrictions over several levels', () => {
    const mem = new SparseMemory().back(0, 0x10_0000);
    const fetcher = new MemoryFetcher(mem);
    // 4K, TxSZ 25: levels 1, 2, 3. APTable[0] on the level-1 table, UXNTable on the level-2 table.
    const f = createStage1Format({ granuleBits: 12, tsz: 25, outputBits: 40 });
    write64Big(mem, 0, 0x2000_0000_0000_2003n);
    write64Big(mem, 0x2000, 0x1000_0000_0000_3003n);
    write64Big(mem, 0x3000, 0x0000_0000_0010_0743n); // AP=01: RW at both, executable at EL0
    const c: S1Case = { ap: 1, apTable: 1, pxn: false, uxn: false, pxnTable: false, uxnTable: true, had: false, wxn: false, pan: false };
    checkWalk(f, fetcher, 0x456, (a) => s1Allowed(c, a), 'two tables');
    const st = new WalkState();
    walkStage(f, 0, 0x456, R | P, fetcher, st);
    // EL0 lost read/write (APTable[0]) and execute (UXNTable); privileged keeps RW, and PX is allowed:
    // after APTable[0] the page is no longer EL0-writable, so the implicit PXN does not apply.
    expect(st.permitted).toBe(Perm.PR | Perm.PW | Perm.PX);
  });
});

interface S2Case {
  s2ap: number;
  xn: number; // descriptor [54:53]
  dbm: boolean;
  xnx: boolean;
  httu: 'none' | 'ha' | 'ha+hd' | 'hd';
}

/** Independent stage-2 permission reference ([ARMARM] D8.4.3, FEAT_XNX, hardware dirty state). */
function s2Allowed(c: S2Case, access: number): boolean {
  const read = (c.s2ap & 1) === 1;
  const write = (c.s2ap & 2) === 2 || (c.dbm && c.httu === 'ha+hd');
  const priv = (access & P) !== 0;
  let exec: boolean;
  if (!c.xnx) exec = (c.xn & 2) === 0;
  else exec = c.xn === 0 ? true : c.xn === 1 ? !priv : c.xn === 2 ? false : priv;
  return !((access & R && !read) || (access & W && !write) || (access & X && !exec));
}

describe('stage-2 permissions vs an independent reference', () => {
  it('every S2AP × XN × DBM × XNX × HA/HD combination, every access', () => {
    const mem = new SparseMemory().back(0, 0x10_0000);
    const fetcher = new MemoryFetcher(mem);
    for (const xnx of [false, true]) {
      for (const httu of ['none', 'ha', 'ha+hd', 'hd'] as const) {
        // 4K, T0SZ 34, SL0 0: start at level 2, root at 0 (one table), page table at 0x2000.
        const f = createStage2Format({ granuleBits: 12, t0sz: 34, sl0: 0, outputBits: 40, xnx, ha: httu.startsWith('ha'), hd: httu.endsWith('hd') });
        for (let bits = 0; bits < 32; bits++) {
          const c: S2Case = { s2ap: bits & 3, xn: (bits >> 2) & 3, dbm: !!(bits & 16), xnx, httu };
          write64Big(mem, 0, 0x2003n);
          const page = 0x10_073fn | (BigInt(c.s2ap) << 6n) | (BigInt(c.xn) << 53n) | (c.dbm ? 1n << 51n : 0n);
          for (const access of ACCESSES) {
            // Re-write the page each time: a write under HD marks it dirty.
            write64Big(mem, 0x2000, page);
            const st = new WalkState();
            const stop = walkStage(f, 0, 0x789, access, fetcher, st);
            const label = `${JSON.stringify(c)} access ${access}`;
            if (s2Allowed(c, access)) {
              expect(stop, label).toBe(WalkStop.OK);
              expect(st.permitted, label).toBe(refMask((a) => s2Allowed(c, a)));
            } else {
              expect([stop, st.fault, st.faultDetail], label).toEqual([WalkStop.FAULT, 'permission', expectedDetail((a) => s2Allowed(c, a), access)]);
            }
          }
        }
      }
    }
  });
});
