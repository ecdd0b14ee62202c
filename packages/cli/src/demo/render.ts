import type { TraceEntry } from '@viommu/core';
import { painter, renderTraceLines, type Painter } from '../render/trace-text';
import type { DemoRequest, DemoVendorReport } from './report';

function requestLine(r: DemoRequest): string {
  const q = r.request;
  const pasid = q.pasid === undefined ? 'no PASID' : `PASID ${q.pasid}`;
  return `sid 0x${q.sid.toString(16)}, ${pasid}, ${q.access}${q.privileged ? ' (privileged)' : ''} at 0x${q.iova.toString(16)}`;
}

/** How many reads each stage made, for the one-line shape of a 2-D walk. */
function walkShape(trace: readonly TraceEntry[]): string {
  const reads = trace.filter((t) => !t.write);
  const s1 = reads.filter((t) => t.stage === 1).length;
  const s2 = reads.filter((t) => t.stage === 2).length;
  const cfg = new Set(reads.filter((t) => t.stage === 0).map((t) => t.label)).size;
  return `${cfg} configuration structure(s), ${s1} stage-1 and ${s2} stage-2 descriptor reads`;
}

function renderRequest(r: DemoRequest, p: Painter): string[] {
  const res = r.result as { ok: boolean; pa?: string; pageSize?: number; perm?: string; reads?: number; fault?: Record<string, unknown>; record?: { fields: Record<string, unknown> } };
  const head = res.ok
    ? `${p.ok('✓')} ${r.label}\n    ${requestLine(r)} → ${p.ok(res.pa!)} (page ${res.pageSize} bytes, ${res.perm}, ${res.reads} reads)`
    : `${p.bad('✗')} ${r.label}\n    ${requestLine(r)} → ${p.bad(String(res.fault!.name))} (code 0x${Number(res.fault!.code).toString(16)}, generic reason ${res.fault!.reason}${res.fault!.stage ? `, stage ${res.fault!.stage}` : ''})`;
  const lines = [head];
  if (res.record) {
    const fields = Object.entries(res.record.fields)
      .filter(([, v]) => v !== 0 && v !== '0x0')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    lines.push(`    record: ${fields}`);
  }
  lines.push(`    2-D walk: ${walkShape(r.trace)}`);
  for (const l of renderTraceLines(r.trace, p)) lines.push(`      ${l}`);
  return lines;
}

/** The demo as a person reads it in a terminal. */
export function renderDemo(reports: readonly DemoVendorReport[], colour: boolean): string {
  const p = painter(colour);
  const out: string[] = ['viommu demo — IOMMU nested translation with PASIDs, through the generic bindPasidTable API', ''];
  for (const r of reports) {
    out.push(p.cfg(`━━ ${r.title} ━━`));
    for (const s of r.setup) out.push(`  ${s}`);
    out.push('', '  bindPasidTable:');
    out.push(`    ${p.bad('refused')} ${JSON.stringify(r.refused.config)}`);
    out.push(`      → ${r.refused.code}: ${r.refused.message}`);
    out.push(`    ${p.ok('bound')}   ${JSON.stringify(r.bind.config)}`);
    for (const i of r.bind.installed) out.push(`      → ${i}`);
    out.push('', '  DMA:');
    for (const q of r.requests) for (const l of renderRequest(q, p)) out.push(`  ${l}`);
    out.push('', '  One fault of each kind:');
    for (const q of r.faults) for (const l of renderRequest(q, p)) out.push(`  ${l}`);
    out.push('');
  }
  return out.join('\n');
}
