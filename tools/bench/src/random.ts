/**
 * Deterministic randomness for the benches: the same page sets and orders on every run, so two runs (and
 * the subject and its baseline within a run) see the same work.
 */

/** A small, fast PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles in place (Fisher–Yates) and returns the array. */
export function shuffle<T extends { length: number; [i: number]: unknown }>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/** `count` distinct page numbers below `limit`, in random order. */
export function distinctPages(count: number, limit: number, random: () => number): number[] {
  if (count > limit) throw new Error(`cannot pick ${count} distinct pages below ${limit}`);
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < count) {
    const p = Math.floor(random() * limit);
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  }
  return out;
}
