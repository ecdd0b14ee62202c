import type { TraceEntry } from '@viommu/core';

function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

/** Paint functions; identity when colour is off. */
export interface Painter {
  /** Dim text. */
  dim(s: string): string;
  /** Stage-1 colour. */
  s1(s: string): string;
  /** Stage-2 colour. */
  s2(s: string): string;
  /** Configuration colour. */
  cfg(s: string): string;
  /** Success colour. */
  ok(s: string): string;
  /** Fault colour. */
  bad(s: string): string;
}

/** A painter that adds ANSI colours (for a terminal) or nothing. */
export function painter(colour: boolean): Painter {
  const wrap = (code: string) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { dim: wrap('2'), s1: wrap('36'), s2: wrap('32'), cfg: wrap('35'), ok: wrap('1;32'), bad: wrap('1;31') };
}

/** Merges the 64-bit-word entries of one configuration structure (consecutive, same label) into one read. */
export function groupConfigReads(trace: readonly TraceEntry[]): { entry: TraceEntry; words: bigint[]; index: number }[] {
  const out: { entry: TraceEntry; words: bigint[]; index: number }[] = [];
  trace.forEach((e, index) => {
    const last = out.at(-1);
    const lastWord = last?.entry;
    const continues =
      e.stage === 0 && lastWord?.stage === 0 && lastWord.label === e.label && e.address === lastWord.address + 8 * last!.words.length && !e.write;
    if (continues) last!.words.push(e.value);
    else out.push({ entry: e, words: [e.value], index });
  });
  return out;
}

/**
 * One line per read: which stage read which address at which level, and why. A configuration structure
 * (STE, CD, context or PASID entry…) is one line listing its 64-bit words, trailing zero words omitted.
 */
export function renderTraceLines(trace: readonly TraceEntry[], paint: Painter = painter(false)): string[] {
  return groupConfigReads(trace).map(({ entry: e, words }, i) => {
    const n = paint.dim(`${String(i + 1).padStart(3)}.`);
    if (e.stage === 0) {
      let last = words.length;
      while (last > 1 && words[last - 1] === 0n) last--;
      const shown = words.slice(0, last).map(hex).join(' ') + (last < words.length ? paint.dim(` (+${words.length - last} zero words)`) : '');
      const where = e.ipa !== undefined ? `IPA ${hex(e.ipa)} → PA ${hex(e.address)}` : `PA ${hex(e.address)}`;
      return `${n} ${paint.cfg((e.label ?? 'config').padEnd(12))} ${where} = ${shown}`;
    }
    const value = hex(e.value);
    if (e.stage === 1) {
      const where = e.ipa !== undefined ? `IPA ${hex(e.ipa)} → PA ${hex(e.address)}` : `PA ${hex(e.address)}`;
      return `${n} ${paint.s1(`stage 1 L${e.level}`.padEnd(12))} ${where} = ${value}${e.write ? ' (A/D update)' : ''}`;
    }
    const why =
      e.purpose === 's1-table'
        ? `for the stage-1 table fetch at depth ${e.s1Depth}`
        : e.purpose === 'config'
          ? 'for a configuration fetch'
          : 'for the output';
    return `${n} ${paint.s2(`stage 2 L${e.level}`.padEnd(12))} PA ${hex(e.address)} = ${value} ${paint.dim(why)}${e.write ? ' (A/D update)' : ''}`;
  });
}
