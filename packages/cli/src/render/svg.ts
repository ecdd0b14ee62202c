/**
 * Draws a nested walk as a 2-D grid: one row per stage-1 level (and one for the final output), one column
 * per stage-2 level plus a column for the stage-1 descriptor itself. Each memory read of the walk is one
 * cell showing the descriptor address and the value read, so the shape of a nested walk — up to 24 reads
 * for 4 levels over 4 levels — is visible at a glance. Configuration reads (STE, CD, PASID entry) sit in a
 * row above.
 */
import type { TraceEntry } from '@viommu/core';
import { groupConfigReads } from './trace-text';

const CELL_W = 190;
const CELL_H = 54;
const HEAD_W = 120;
const HEAD_H = 34;
const PAD = 16;

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

interface Cell {
  row: number;
  col: number;
  entry: TraceEntry;
  order: number;
}

/** Options of {@link renderWalkSvg}. */
export interface SvgOptions {
  /** Title drawn above the grid. */
  title?: string;
}

/** Renders the trace of one translation as a standalone SVG document (one `<g class="cell">` per read). */
export function renderWalkSvg(trace: readonly TraceEntry[], options: SvgOptions = {}): string {
  const s2Levels = [...new Set(trace.filter((t) => t.stage === 2).map((t) => t.level))].sort((a, b) => a - b);
  const hasConfig = trace.some((t) => t.stage === 0 || (t.stage === 2 && t.purpose === 'config'));
  // Rows: [config], one per stage-1 level (in walk order), output.
  const s1Order = [...new Set(trace.filter((t) => t.stage === 1).map((t) => t.depth))].sort((a, b) => a - b);
  const rowOfS1Depth = new Map<number, number>();
  let row = hasConfig ? 1 : 0;
  for (const d of s1Order) rowOfS1Depth.set(d, row++);
  const outputRow = row++;
  const rows = row;
  const colOfS2Level = new Map<number, number>();
  s2Levels.forEach((l, i) => colOfS2Level.set(l, i));
  const s1Col = s2Levels.length;
  const cols = s2Levels.length + 1;

  const cells: Cell[] = [];
  const configCols = new Map<number, number>();
  let configNext = 0;
  let currentS1Depth = s1Order[0] ?? 0;
  // A configuration structure read as several 64-bit words is one read, hence one cell.
  const reads = groupConfigReads(trace);
  const words = new Map(reads.map((r) => [r.entry, r.words]));
  reads.forEach(({ entry }, order) => {
    if (entry.stage === 0) {
      cells.push({ row: 0, col: configNext++, entry, order });
      return;
    }
    if (entry.stage === 1) {
      currentS1Depth = entry.depth;
      cells.push({ row: rowOfS1Depth.get(entry.depth) ?? outputRow, col: s1Col, entry, order });
      return;
    }
    const col = colOfS2Level.get(entry.level) ?? 0;
    if (entry.purpose === 'config') {
      const c = configCols.get(order) ?? configNext++;
      cells.push({ row: 0, col: c, entry, order });
    } else if (entry.purpose === 's1-table') {
      cells.push({ row: rowOfS1Depth.get(entry.s1Depth ?? currentS1Depth) ?? outputRow, col, entry, order });
    } else {
      cells.push({ row: outputRow, col, entry, order });
    }
  });

  const gridCols = Math.max(cols, configNext);
  const width = PAD * 2 + HEAD_W + gridCols * CELL_W;
  const titleH = options.title ? 28 : 0;
  const height = PAD * 2 + titleH + HEAD_H + rows * CELL_H;
  const x0 = PAD + HEAD_W;
  const y0 = PAD + titleH + HEAD_H;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title) out.push(`<text x="${PAD}" y="${PAD + 16}" font-size="15" font-weight="bold">${esc(options.title)}</text>`);
  s2Levels.forEach((l, i) => {
    out.push(`<text class="col-head" x="${x0 + i * CELL_W + 8}" y="${y0 - 12}">stage 2 · level ${l}</text>`);
  });
  out.push(`<text class="col-head" x="${x0 + s1Col * CELL_W + 8}" y="${y0 - 12}">stage-1 descriptor</text>`);
  const rowLabel = (r: number): string => {
    if (hasConfig && r === 0) return 'configuration';
    if (r === outputRow) return 'output';
    for (const [d, rr] of rowOfS1Depth) if (rr === r) {
      const level = trace.find((t) => t.stage === 1 && t.depth === d)?.level;
      return `stage 1 · level ${level ?? d}`;
    }
    return '';
  };
  for (let r = 0; r < rows; r++) {
    out.push(`<text class="row-head" x="${PAD}" y="${y0 + r * CELL_H + CELL_H / 2 + 4}">${esc(rowLabel(r))}</text>`);
  }
  const fill = (e: TraceEntry) => (e.stage === 0 ? '#f3e8ff' : e.stage === 1 ? '#e0f2fe' : '#dcfce7');
  for (const c of cells) {
    const x = x0 + c.col * CELL_W + 2;
    const y = y0 + c.row * CELL_H + 2;
    const e = c.entry;
    const what = e.stage === 0 ? (e.label ?? 'config') : `s${e.stage} L${e.level}${e.write ? ' (A/D write)' : ''}`;
    const addr = `@ ${hex(e.address)}${e.ipa !== undefined ? ` (IPA ${hex(e.ipa)})` : ''}`;
    out.push(
      `<g class="cell" data-order="${c.order}" data-stage="${e.stage}" data-level="${e.level}">` +
        `<title>${esc(`#${c.order + 1} ${what} ${addr} = ${hex(e.value)}`)}</title>` +
        `<rect x="${x}" y="${y}" width="${CELL_W - 4}" height="${CELL_H - 4}" rx="4" fill="${fill(e)}" stroke="#64748b"/>` +
        `<text x="${x + 6}" y="${y + 14}">#${c.order + 1} ${esc(what)}</text>` +
        `<text x="${x + 6}" y="${y + 28}">${esc(addr)}</text>` +
        `<text x="${x + 6}" y="${y + 42}">= ${esc((words.get(e) ?? [e.value]).slice(0, 2).map(hex).join(' '))}${(words.get(e)?.length ?? 1) > 2 ? ' …' : ''}</text>` +
        `</g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
