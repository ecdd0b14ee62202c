/** Output: a readable table, or JSON Lines (`--json`, the contract in DESIGN.md). */
import { cpus, totalmem } from 'node:os';
import type { Comparison } from './harness';

/** The machine the figures come from. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version} (${process.platform}-${process.arch})`;
}

/** Whether a comparison meets its target ('' when it has none). */
export function verdict(c: Comparison): string {
  if (c.target === undefined) return '';
  return c.ratio >= c.target ? 'ok' : 'MISS';
}

/** One JSON line: `{"name","opsPerSec","baseline","ratio"}` first, then the extras. */
export function jsonLine(c: Comparison): string {
  return JSON.stringify({
    name: c.name,
    opsPerSec: Math.round(c.opsPerSec),
    baseline: Math.round(c.baseline),
    ratio: Number(c.ratio.toPrecision(4)),
    baselineName: c.baselineName,
    ...(c.target === undefined ? {} : { target: c.target, met: c.ratio >= c.target }),
    roundRatios: c.roundRatios.map((r) => Number(r.toPrecision(3))),
    ...c.extra,
  });
}

function si(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(2)} k`;
  return v.toFixed(1);
}

/** A ratio with `digits` decimals, or 3 significant digits when it is smaller than that shows. */
function ratioText(r: number, digits: number): string {
  return r >= 10 ** -digits || r === 0 ? r.toFixed(digits) : r.toPrecision(3);
}

/** A fixed-width table row per comparison. */
export function tableRows(rows: readonly Comparison[]): string {
  const head = ['bench', 'ops/s', 'baseline', 'baseline ops/s', 'ratio', 'rounds (min–max)', 'target', ''];
  const body = rows.map((c) => {
    const rs = c.roundRatios;
    return [
      c.name,
      si(c.opsPerSec),
      c.baselineName,
      si(c.baseline),
      ratioText(c.ratio, 3),
      `${ratioText(Math.min(...rs), 2)}–${ratioText(Math.max(...rs), 2)}`,
      c.target === undefined ? '' : `≥ ${c.target}`,
      verdict(c),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((v, i) => (i === 0 || i === 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}

/** The extras of the rows that have them, one line each. */
export function extras(rows: readonly Comparison[]): string {
  return rows
    .filter((c) => c.extra)
    .map((c) => `${c.name}: ${Object.entries(c.extra!).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    .join('\n');
}
