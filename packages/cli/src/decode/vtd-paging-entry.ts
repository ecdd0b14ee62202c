/**
 * `viommu decode fl-entry` / `sl-entry`: one 64-bit VT-d first-level (IA-32e, VT-d spec §3.6, §9.7) or
 * second-level (§3.7, §9.8) paging entry at a given level (`--level N`, 1 = PTE … 5 = PML5E; default 1).
 *
 * `@viommu/intel-vtd` describes these entries as bit constants (`FL`, `FL_HI`, `SL`, `SL_HI`) and as page-table
 * formats, not as structure layouts, so the display layouts below are assembled from those constants, one per
 * entry kind (table entry, 4 KiB / 2 MiB / 1 GiB leaf). The verdict is the vendor format's own `decode` of the
 * entry at that level, its fault mapped to the architected reason by `vtdFaultReasonForWalk`; a test checks
 * that these layouts flag reserved bits exactly when the format does.
 *
 * Assumptions, from the model's default capabilities: host address width 48 (entry address bits 51:48 are
 * reserved); first level: XD honoured (PASID-entry NXE = 1), 1 GiB pages allowed (CAP.FL1GP); second level:
 * scalable mode (SNP allowed in leaves), 2 MiB and 1 GiB pages allowed (CAP.SLLPS), TM reserved (rev 3.2+),
 * execute requests disabled (SLEE = 0, so an entry is present when R or W is set).
 * @packageDocumentation
 */
import { EntryKind, WalkState, defineStructure, getField, type FieldSpec, type StructureLayout } from '@viommu/core';
import {
  DEFAULT_VTD_CAPABILITIES,
  FL,
  FL_HI,
  SL,
  SL_HI,
  SLLPS_1G,
  SLLPS_2M,
  createFirstLevelFormat,
  createSecondLevelFormat,
  vtdFaultReasonForWalk,
  type VtdWalkMode,
} from '@viommu/intel-vtd';
import { type Decodable, type DecodedStructure, decodeWithLayout } from '../decodable';
import { VTD_DECODE_HAW } from './vtd-config';
import { describeVtdFaultReason } from './vtd-verdict';

const CAPS = DEFAULT_VTD_CAPABILITIES;
/** The levels `--level` accepts: 1 (PTE) to 5 (PML5E). */
export const PAGING_LEVELS: readonly number[] = [1, 2, 3, 4, 5];
/** The level an entry is decoded at without `--level`: a 4 KiB leaf (PTE), the most common entry. */
export const DEFAULT_PAGING_LEVEL = 1;

/** Highest set bit of a low-word mask (the bit number of a single-bit mask). */
const lowBit = (mask: number) => 31 - Math.clz32(mask);
/** Lowest set bit of a low-word mask. */
const lowestBit = (mask: number) => lowBit(mask & -mask);
/** Bit number of a single-bit mask of the high word. */
const highBit = (mask: number) => 32 + lowBit(mask);
const flag = (name: string, bit: number, doc: string): FieldSpec => ({ name, hi: bit, lo: bit, doc });

const TABLE_NAMES: Readonly<Record<number, string>> = { 5: 'PML5E', 4: 'PML4E', 3: 'PDPE', 2: 'PDE', 1: 'PTE' };
const PAGE_NAMES: Readonly<Record<number, string>> = { 12: '4 KiB page', 21: '2 MiB page', 30: '1 GiB page' };

/** A reserved range with what it is, for the problem line. */
interface NamedReserved {
  readonly hi: number;
  readonly lo: number;
  readonly what: string;
}

/** One entry kind: its display layout and the named reserved ranges. */
interface EntryKindLayout {
  readonly layout: StructureLayout<string>;
  readonly reserved: readonly NamedReserved[];
}

/** Builds a layout named `name` with the address in bits [HAW−1:`leafShift`] and the given reserved ranges. */
function entryLayout(name: string, fields: FieldSpec[], leafShift: number, reserved: NamedReserved[]): EntryKindLayout {
  const all: NamedReserved[] = [...reserved, { hi: 51, lo: VTD_DECODE_HAW, what: `address bits at or above HAW ${VTD_DECODE_HAW}` }];
  const address: FieldSpec = {
    name: 'ADDR',
    hi: VTD_DECODE_HAW - 1,
    lo: leafShift,
    shift: leafShift,
    doc: leafShift === 12 && !name.endsWith('PTE') ? 'Next-level table address' : 'Page frame address',
  };
  const layout = defineStructure({
    name,
    bits: 64,
    fields: [...fields, address].sort((a, b) => a.lo - b.lo),
    reserved: all.map((r) => [r.hi, r.lo] as const),
  });
  return { layout, reserved: all };
}

/** log2 of the page a first-level entry maps at `level` with PS = `ps`; 0 for a table entry. */
function firstLevelLeafShift(level: number, ps: boolean): number {
  if (level === 1) return 12;
  if (ps && level === 2) return 21;
  if (ps && level === 3 && CAPS.fl1gp) return 30;
  return 0;
}

/** First-level entry layout for `level` and PS (IA-32e paging, §9.7). */
function firstLevelLayout(level: number, ps: boolean): EntryKindLayout {
  const leafShift = firstLevelLeafShift(level, ps);
  const fields: FieldSpec[] = [
    flag('P', lowBit(FL.P), 'Present'),
    flag('R/W', lowBit(FL.RW), 'Read/write: writes allowed (supervisor writes only checked with WPE)'),
    flag('U/S', lowBit(FL.US), 'User/supervisor: user requests allowed'),
    flag('PWT', lowBit(FL.PWT), 'Page-level write-through'),
    flag('PCD', lowBit(FL.PCD), 'Page-level cache disable'),
    flag('A', lowBit(FL.A), 'Accessed'),
    flag('EA', lowBit(FL.EA), 'Extended accessed (set with A when the PASID entry has EAFE=1)'),
    flag('XD', highBit(FL_HI.XD), 'Execute disable (with NXE=1)'),
  ];
  const reserved: NamedReserved[] = [];
  const ps7 = lowBit(FL.PS);
  if (leafShift === 0) {
    if (level === 2 || (level === 3 && CAPS.fl1gp)) fields.push(flag('PS', ps7, 'Page size: 1 maps a large page here'));
    else reserved.push({ hi: ps7, lo: ps7, what: `PS in a ${TABLE_NAMES[level]}` });
    return entryLayout(`FL-${TABLE_NAMES[level]} (table, level ${level})`, fields, 12, reserved);
  }
  fields.push(flag('D', lowBit(FL.D), 'Dirty'), flag('G', lowBit(FL.G), 'Global (ignored by VT-d: first-level translations are PASID-tagged)'));
  if (leafShift === 12) {
    fields.push(flag('PAT', lowBit(FL.PAT_PTE), 'Page attribute table index bit'));
  } else {
    fields.push(flag('PS', ps7, 'Page size'), flag('PAT', lowBit(FL.PAT_LARGE), 'Page attribute table index bit'));
    const rsv = leafShift === 21 ? FL.RESERVED_2M : FL.RESERVED_1G;
    reserved.push({ hi: lowBit(rsv), lo: lowestBit(rsv), what: `bits below the ${PAGE_NAMES[leafShift]} frame` });
  }
  const name = level === 1 ? 'PTE' : TABLE_NAMES[level]!;
  return entryLayout(`FL-${name} (${PAGE_NAMES[leafShift]}, level ${level})`, fields, leafShift, reserved);
}

/** log2 of the page a second-level entry maps at `level` with PS = `ps`; 0 for a table entry. */
function secondLevelLeafShift(level: number, ps: boolean): number {
  if (level === 1) return 12;
  if (ps && level === 2 && CAPS.sl2MPages) return 21;
  if (ps && level === 3 && CAPS.sl1GPages) return 30;
  return 0;
}

/** Second-level entry layout for `level` and PS (§9.8). */
function secondLevelLayout(level: number, ps: boolean): EntryKindLayout {
  const leafShift = secondLevelLeafShift(level, ps);
  const fields: FieldSpec[] = [
    flag('R', lowBit(SL.R), 'Read'),
    flag('W', lowBit(SL.W), 'Write'),
    flag('X', lowBit(SL.X), 'Execute (honoured with SLEE=1)'),
    flag('A', lowBit(SL.A), 'Accessed (with SLADE=1)'),
  ];
  const tm = highBit(SL_HI.TM);
  const reserved: NamedReserved[] = [{ hi: tm, lo: tm, what: 'TM (Transient Mapping, reserved since rev 3.2)' }];
  const ps7 = lowBit(SL.PS);
  const snp = lowBit(SL.SNP);
  if (leafShift === 0) {
    if ((level === 2 && CAPS.sl2MPages) || (level === 3 && CAPS.sl1GPages)) fields.push(flag('PS', ps7, 'Page size: 1 maps a large page here'));
    else reserved.push({ hi: ps7, lo: ps7, what: `PS in an SL-${TABLE_NAMES[level]}` });
    reserved.push({ hi: snp, lo: snp, what: 'SNP in a table entry' });
    return entryLayout(`SL-${TABLE_NAMES[level]} (table, level ${level})`, fields, 12, reserved);
  }
  const memoryType = SL.MEMORY_TYPE_MASK;
  fields.push(
    { name: 'EMT', hi: lowestBit(memoryType) + 2, lo: lowestBit(memoryType), doc: 'Extended memory type' },
    flag('IPAT', lowBit(memoryType), 'Ignore PAT'),
    flag('D', lowBit(SL.D), 'Dirty (with SLADE=1)'),
    flag('SNP', snp, 'Snoop'),
  );
  if (leafShift !== 12) {
    fields.push(flag('PS', ps7, 'Page size'));
    const rsv = leafShift === 21 ? SL.RESERVED_2M : SL.RESERVED_1G;
    reserved.push({ hi: lowBit(rsv), lo: lowestBit(rsv), what: `bits below the ${PAGE_NAMES[leafShift]} frame` });
  }
  const name = level === 1 ? 'PTE' : TABLE_NAMES[level]!;
  return entryLayout(`SL-${name} (${PAGE_NAMES[leafShift]}, level ${level})`, fields, leafShift, reserved);
}

/** Layouts per `level * 2 + PS`, built once. */
function layoutTable(build: (level: number, ps: boolean) => EntryKindLayout): EntryKindLayout[] {
  const table: EntryKindLayout[] = [];
  for (const level of PAGING_LEVELS) for (const ps of [false, true]) table[level * 2 + (ps ? 1 : 0)] = build(level, ps);
  return table;
}

const FL_LAYOUTS = layoutTable(firstLevelLayout);
const SL_LAYOUTS = layoutTable(secondLevelLayout);

/** Both formats have five levels, so every `--level` value is a depth of the same instance. */
const FL_FORMAT = createFirstLevelFormat({ levels: 5, hawBits: VTD_DECODE_HAW, nxe: true, fl1gp: CAPS.fl1gp });
const SL_FORMAT = createSecondLevelFormat({
  levels: 5,
  hawBits: VTD_DECODE_HAW,
  sllps: (CAPS.sl2MPages ? SLLPS_2M : 0) | (CAPS.sl1GPages ? SLLPS_1G : 0),
  leafSnp: true,
});

function decodePagingEntry(which: 'fl' | 'sl', words: Uint32Array, level: number): DecodedStructure {
  const ps = getField(words, lowBit(FL.PS), 1);
  const kind = (which === 'fl' ? FL_LAYOUTS : SL_LAYOUTS)[level * 2 + ps]!;
  const format = which === 'fl' ? FL_FORMAT : SL_FORMAT;
  const mode: VtdWalkMode = which === 'fl' ? 'first-level' : 'second-level';
  const depth = format.levels - level;
  return decodeWithLayout(kind.layout, words, (_values, violations) => {
    const state = new WalkState();
    state.reset();
    // No access rights are asked for (access 0): only presence and reserved bits decide validity.
    const result = format.decode(words[1] ?? 0, words[0] ?? 0, depth, 0, state);
    if (result === EntryKind.TABLE || result === EntryKind.LEAF) return [];
    const fault = { stage: which === 'fl' ? 1 : 2, kind: result === EntryKind.INVALID ? 'translation' : state.fault, detail: state.faultDetail, depth } as const;
    const reason = describeVtdFaultReason(vtdFaultReasonForWalk(fault, mode));
    if (result === EntryKind.INVALID) return [`${reason}: not present (${which === 'fl' ? 'P=0' : 'R=0 and W=0'})`];
    const named = violations.map((v) => {
      const what = kind.reserved.find((r) => r.hi === v.hi && r.lo === v.lo)?.what;
      return `[${v.hi}:${v.lo}]${what ? ` ${what}` : ''}`;
    });
    return [`${reason}: reserved bits set${named.length ? `: ${named.join(', ')}` : ''}`];
  });
}

/** A first-level paging entry. */
export const FL_ENTRY: Decodable = {
  name: 'fl-entry',
  vendor: 'vtd',
  summary: 'first-level (IA-32e) paging entry (64 bits, §9.7); --level 1 PTE (default) … 5 PML5E',
  words64: 1,
  levels: PAGING_LEVELS,
  decode: (words, options) => decodePagingEntry('fl', words, options?.level ?? DEFAULT_PAGING_LEVEL),
};

/** A second-level paging entry. */
export const SL_ENTRY: Decodable = {
  name: 'sl-entry',
  vendor: 'vtd',
  summary: 'second-level paging entry (64 bits, §9.8); --level 1 PTE (default) … 5 PML5E',
  words64: 1,
  levels: PAGING_LEVELS,
  decode: (words, options) => decodePagingEntry('sl', words, options?.level ?? DEFAULT_PAGING_LEVEL),
};
