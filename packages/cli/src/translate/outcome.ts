import { Perm, type TraceEntry } from '@viommu/core';

/** One request's answer as `viommu translate` prints it (the JSON contract in DESIGN.md). */
export type TranslateJson =
  | { ok: true; pa: string; pageSize: number; perm: string; reads: number }
  | { ok: false; fault: Record<string, string | number | boolean | null> };

/** `rwx` letters (with `-`) for the request's privilege level. */
export function permString(permitted: number, privileged: boolean): string {
  const [r, w, x] = privileged ? [Perm.PR, Perm.PW, Perm.PX] : [Perm.UR, Perm.UW, Perm.UX];
  return `${permitted & r ? 'r' : '-'}${permitted & w ? 'w' : '-'}${permitted & x ? 'x' : '-'}`;
}

/**
 * Descriptor reads of a translation from its trace: each page-table descriptor read counts once, and each
 * configuration structure (STE, CD, context entry, PASID entry…, traced one 64-bit word at a time) counts
 * once. A/D write-backs are not reads.
 */
export function countReads(trace: readonly TraceEntry[]): number {
  let reads = 0;
  let last: TraceEntry | undefined;
  for (const t of trace) {
    if (t.write) continue;
    if (t.stage === 0) {
      const continues = last?.stage === 0 && last.label === t.label && t.address === last.address + 8;
      if (!continues) reads++;
    } else reads++;
    last = t;
  }
  return reads;
}
