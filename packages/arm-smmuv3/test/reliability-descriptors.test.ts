/**
 * Malformed input matrix, translation table descriptors: every bit of every descriptor a working walk reads
 * (stage 1, stage 2, and both stages of a nested walk, including the stage-2 walks of the CD fetch and of
 * each stage-1 table) is flipped on its own, and the walk is redone uncached for an unprivileged write and a
 * privileged read. The outcome must equal the reference walker's (support-reliability.ts), and the named
 * rows of the matrix are pinned by hand: reserved descriptor types at each level (a level-0 block, a
 * level-3 "block") → F_TRANSLATION; output- and next-table-address bits at or above the 40-bit IPS / S2PS →
 * F_ADDR_SIZE; AF clear → F_ACCESS, unless CD.AFFD / STE.S2AFFD, or CD.HA / STE.S2HA which set it.
 *
 * Bits [49:48] of a 4 KB leaf and [51:48] of a table descriptor are RES0 without FEAT_LPA2 and are not part
 * of the address in the architecture's pseudocode (AArch64.LeafBase / NextTableBase): the model ignores
 * them, as the reference does.
 */
import { describe, expect, it } from 'vitest';
import { Access, read64Big, write64Big, type TraceEntry } from '@viommu/core';
import type { SmmuTransaction } from '../src/model/index';
import {
  BLOCK_VA,
  FULL,
  GIGA_VA,
  Sid,
  buildWorld,
  outcomeName,
  outcomeOf,
  probesOf,
  refOf,
  refTranslate,
  sameOutcome,
  type Outcome,
  type World,
} from './support-reliability';

/** The architected role of descriptor bit `bit` (4 KB granule, no DS) [ARMARM D8.3], for the report. */
function role(stage: 1 | 2, leaf: boolean, level: number, bit: number): string {
  if (bit === 0) return 'valid';
  if (bit === 1) return level === 3 ? 'page/reserved type' : level === 0 ? 'table/reserved block' : 'table/block';
  if (bit >= 12 && bit <= 47) return leaf && bit < 12 + 9 * (3 - level) ? 'RES0 (block offset)' : 'address';
  if (!leaf) {
    if (bit <= 11) return 'ignored';
    if (bit <= 51) return 'RES0 [51:48]';
    if (bit <= 58) return 'ignored';
    return stage === 1 ? ['PXNTable', 'UXNTable', 'APTable[0]', 'APTable[1]', 'NSTable'][bit - 59]! : 'RES0 [63:59]';
  }
  if (bit === 10) return 'AF';
  if (bit === 6 || bit === 7) return stage === 1 ? `AP[${bit - 5}]` : `S2AP[${bit - 6}]`;
  if (bit <= 11) return stage === 1 ? 'AttrIndx/NS/SH/nG' : 'MemAttr/SH';
  if (bit <= 49) return 'RES0 [49:48]';
  return 'upper attributes (GP, DBM, Contiguous, XN, software, PBHA)';
}

/** The distinct descriptors (stage, PA, level) a base translation reads, in walk order. */
function walkPath(w: World, probe: SmmuTransaction): { stage: 1 | 2; address: number; level: number; leaf: boolean }[] {
  const trace: TraceEntry[] = [];
  expect(w.fx.smmu.translate(probe, { uncached: true, trace })).toMatchObject({ ok: true });
  const out = new Map<string, { stage: 1 | 2; address: number; level: number; leaf: boolean }>();
  for (const t of trace) {
    if (t.stage === 0 || t.write) continue;
    const leaf = t.level === 3 || (t.value & 2n) === 0n;
    out.set(`${t.stage}:${t.address}`, { stage: t.stage, address: t.address, level: t.level, leaf });
  }
  return [...out.values()];
}

interface Mismatch {
  readonly sid: number;
  readonly stage: number;
  readonly level: number;
  readonly bit: number;
  readonly role: string;
  readonly access: number;
  readonly model: Outcome;
  readonly reference: Outcome;
}

const stats: Record<string, Record<string, number>> = {};
let descriptorsFlipped = 0;

/** Flips every bit of every descriptor on `probe`'s walk; returns the disagreements with the reference. */
function descriptorMatrix(w: World, probe: SmmuTransaction, leavesOnly = false): Mismatch[] {
  const ref = refOf(w);
  const smmu = w.fx.smmu;
  const probes = [
    { ...probe, access: Access.WRITE },
    { ...probe, access: Access.READ | Access.PRIV },
  ];
  const out: Mismatch[] = [];
  for (const d of walkPath(w, probe)) {
    if (leavesOnly && !d.leaf) continue;
    descriptorsFlipped++;
    const original = read64Big(w.fx.mem, d.address)!;
    for (let bit = 0; bit < 64; bit++) {
      const r = role(d.stage, d.leaf, d.level, bit);
      for (const p of probes) {
        write64Big(w.fx.mem, d.address, original ^ (1n << BigInt(bit)));
        const model = outcomeOf(smmu.translate(p, { uncached: true }));
        write64Big(w.fx.mem, d.address, original ^ (1n << BigInt(bit)));
        const reference = refTranslate(ref, p);
        const key = `stage ${d.stage} ${d.leaf ? 'leaf' : 'table'}: ${r}`;
        const t = (stats[key] ??= {});
        t[outcomeName(model)] = (t[outcomeName(model)] ?? 0) + 1;
        if (!sameOutcome(model, reference)) out.push({ sid: p.streamId, stage: d.stage, level: d.level, bit, role: r, access: p.access, model, reference });
      }
      write64Big(w.fx.mem, d.address, original);
    }
    for (const p of probes) expect(refTranslate(ref, p)).toEqual(outcomeOf(smmu.translate(p, { uncached: true })));
  }
  return out;
}

describe('stage-1 and stage-2 descriptors: every bit on every walk (FULL)', () => {
  it('stage 1 (Config 0b101): a 4 KB page, a 2 MB block and a 1 GB block, from level 0', () => {
    const w = buildWorld(FULL);
    const m = [0x123, BLOCK_VA + 0x1234, GIGA_VA + 0x12_3456].flatMap((address) => descriptorMatrix(w, { streamId: Sid.S1, address, access: Access.WRITE }));
    expect(m).toEqual([]);
  });

  it('stage 1 with CD.AFFD and with CD.HA: the leaves', () => {
    const w = buildWorld(FULL);
    const m = [Sid.S1_AFFD, Sid.S1_HA].flatMap((sid) => descriptorMatrix(w, { streamId: sid, address: 0x123, access: Access.WRITE }, true));
    expect(m).toEqual([]);
  });

  it('stage 2 (Config 0b110): a 4 KB page and a 2 MB block, from level 0; S2AFFD and S2HA leaves', () => {
    const w = buildWorld(FULL);
    const [page, block] = probesOf(Sid.S2) as [SmmuTransaction, SmmuTransaction];
    const m = [...descriptorMatrix(w, page), ...descriptorMatrix(w, block)];
    m.push(...[Sid.S2_AFFD, Sid.S2_HA].flatMap((sid) => descriptorMatrix(w, { ...page, streamId: sid }, true)));
    expect(m).toEqual([]);
  });

  it('nested (Config 0b111): stage-1 descriptors (IPAs) and every stage-2 descriptor of the CD fetch, the table fetches and the output', () => {
    const w = buildWorld(FULL);
    const m = [0x123, BLOCK_VA + 0x1234].flatMap((address) => descriptorMatrix(w, { streamId: Sid.NESTED, address, access: Access.WRITE }));
    expect(m).toEqual([]);
  });
});

describe('descriptor known answers (hand-worked from the VMSAv8-64 rules)', () => {
  /** The model's outcome for `probe` with `bit` of the descriptor at `address` flipped. */
  function flip(w: World, address: number, bit: number, probe: SmmuTransaction): Outcome {
    const original = read64Big(w.fx.mem, address)!;
    write64Big(w.fx.mem, address, original ^ (1n << BigInt(bit)));
    try {
      return outcomeOf(w.fx.smmu.translate(probe, { uncached: true }));
    } finally {
      write64Big(w.fx.mem, address, original);
    }
  }
  const path = (w: World, probe: SmmuTransaction, stage: 1 | 2) => walkPath(w, probe).filter((d) => d.stage === stage);
  /** The four descriptors of a level-0 walk, root first. */
  const four = <T>(xs: T[]): [T, T, T, T] => {
    expect(xs).toHaveLength(4);
    return xs as [T, T, T, T];
  };

  it('stage 1: reserved types at levels 0 and 3, address bits beyond IPS, AF, AP and APTable', () => {
    const w = buildWorld(FULL);
    const uw: SmmuTransaction = { streamId: Sid.S1, address: 0x123, access: Access.WRITE };
    const pr: SmmuTransaction = { ...uw, access: Access.READ | Access.PRIV };
    const [l0, l1, l2, l3] = four(path(w, uw, 1));
    const s1 = (name: string) => ({ event: name, fields: { S2: 0, CLASS: 2 } });
    expect(flip(w, l0.address, 1, uw)).toMatchObject(s1('F_TRANSLATION')); // block at level 0: reserved
    expect(flip(w, l3.address, 1, uw)).toMatchObject(s1('F_TRANSLATION')); // [1:0] = 01 at level 3: reserved
    for (const d of [l0, l1, l2, l3]) expect(flip(w, d.address, 0, uw)).toMatchObject(s1('F_TRANSLATION'));
    // A table turned into a block: its AF (bit 10) is clear.
    expect(flip(w, l1.address, 1, uw)).toMatchObject(s1('F_ACCESS'));
    expect(flip(w, l2.address, 1, uw)).toMatchObject(s1('F_ACCESS'));
    for (let b = 40; b <= 47; b++) {
      for (const d of [l0, l1, l2, l3]) expect(flip(w, d.address, b, uw), `bit ${b}`).toMatchObject(s1('F_ADDR_SIZE'));
    }
    const base = outcomeOf(w.fx.smmu.translate(uw, { uncached: true }));
    for (const b of [48, 49, 51, 52, 53, 54, 55, 58]) expect(flip(w, l3.address, b, uw), `leaf bit ${b}`).toEqual(base);
    for (const b of [48, 51, 59, 60, 63]) expect(flip(w, l1.address, b, uw), `table bit ${b}`).toEqual(base);
    expect(flip(w, l3.address, 10, uw)).toMatchObject(s1('F_ACCESS'));
    expect(flip(w, l3.address, 7, uw)).toMatchObject(s1('F_PERMISSION')); // AP[2]: read-only
    expect(flip(w, l3.address, 6, uw)).toMatchObject(s1('F_PERMISSION')); // AP[1]: no EL0 access
    expect(flip(w, l3.address, 6, pr)).toMatchObject({ ok: true });
    expect(flip(w, l1.address, 62, uw)).toMatchObject(s1('F_PERMISSION')); // APTable[1]: no write below
    expect(flip(w, l1.address, 61, uw)).toMatchObject(s1('F_PERMISSION')); // APTable[0]: no EL0 below
    expect(flip(w, l1.address, 61, pr)).toMatchObject({ ok: true });
    // AFFD and HA: AF clear is no fault; HA sets it in memory.
    expect(flip(w, l3.address, 10, { ...uw, streamId: Sid.S1_AFFD })).toEqual(base);
    const d = read64Big(w.fx.mem, l3.address)!;
    write64Big(w.fx.mem, l3.address, d & ~(1n << 10n));
    expect(outcomeOf(w.fx.smmu.translate({ ...uw, streamId: Sid.S1_HA }, { uncached: true }))).toEqual(base);
    expect(read64Big(w.fx.mem, l3.address)).toBe(d);
  });

  it('stage 2: the same rows reported with S2 = 1, CLASS = IN and the IPA', () => {
    const w = buildWorld(FULL);
    const [page] = probesOf(Sid.S2) as [SmmuTransaction];
    const ipa = Number(page.address);
    const [l0, , , l3] = four(path(w, page, 2));
    const s2 = (name: string) => ({ event: name, fields: { S2: 1, CLASS: 2, IPA: ipa - (ipa % 4096) } });
    expect(flip(w, l0.address, 1, page)).toMatchObject(s2('F_TRANSLATION'));
    expect(flip(w, l3.address, 1, page)).toMatchObject(s2('F_TRANSLATION'));
    expect(flip(w, l3.address, 40, page)).toMatchObject(s2('F_ADDR_SIZE'));
    expect(flip(w, l0.address, 47, page)).toMatchObject(s2('F_ADDR_SIZE'));
    expect(flip(w, l3.address, 10, page)).toMatchObject(s2('F_ACCESS'));
    expect(flip(w, l3.address, 7, page)).toMatchObject(s2('F_PERMISSION')); // S2AP[1]: no write
    const base = outcomeOf(w.fx.smmu.translate(page, { uncached: true }));
    expect(flip(w, l3.address, 6, page)).toEqual(base); // S2AP = 0b10: write-only still writes
    expect(flip(w, l3.address, 10, { ...page, streamId: Sid.S2_AFFD })).toEqual(base);
    expect(flip(w, l3.address, 10, { ...page, streamId: Sid.S2_HA })).toEqual(base);
  });

  it('nested: stage-1 output and table addresses are IPAs checked against IPS, then translated by stage 2', () => {
    const w = buildWorld(FULL);
    const uw: SmmuTransaction = { streamId: Sid.NESTED, address: 0x123, access: Access.WRITE };
    const s1 = path(w, uw, 1);
    const leaf = s1[s1.length - 1]!;
    const table = s1[1]!;
    expect(flip(w, leaf.address, 40, uw)).toMatchObject({ event: 'F_ADDR_SIZE', fields: { S2: 0, CLASS: 2 } });
    const ipa = (read64Big(w.fx.mem, leaf.address)! & 0xffff_ffff_f000n) ^ (1n << 39n);
    expect(flip(w, leaf.address, 39, uw)).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 2, IPA: Number(ipa) } });
    const next = Number(read64Big(w.fx.mem, table.address)! & 0xffff_ffff_f000n) ^ 2 ** 20;
    expect(flip(w, table.address, 20, uw)).toMatchObject({ event: 'F_TRANSLATION', fields: { S2: 1, CLASS: 1, IPA: next } });
  });
});

describe('report', () => {
  it('descriptor bits exercised, outcomes by role', () => {
    expect(descriptorsFlipped).toBeGreaterThan(20);
    console.info(`${descriptorsFlipped} descriptors × 64 bits flipped`);
    for (const [k, v] of Object.entries(stats).sort()) console.info(k, JSON.stringify(v));
  });
});
