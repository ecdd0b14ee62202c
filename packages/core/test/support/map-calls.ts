/**
 * Counts calls to Map methods while `fn` runs: every `get`/`has`/`set`/`delete`, and every iteration
 * (`keys`, `values`, `entries`, `forEach`, `for…of`). The patch is undone before returning. Used to show that
 * a cache operation touches only the bucket it should, without timing anything.
 */
export function countMapCalls<T>(fn: () => T): { result: T; calls: Record<string, number> } {
  const proto = Map.prototype as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
  const names: PropertyKey[] = ['get', 'has', 'set', 'delete', 'keys', 'values', 'entries', 'forEach', Symbol.iterator];
  const saved = names.map((n) => proto[n]!);
  const calls: Record<string, number> = {};
  names.forEach((n, i) => {
    const original = saved[i]!;
    const label = typeof n === 'symbol' ? 'iterator' : n;
    calls[label] = 0;
    proto[n] = function (this: unknown, ...args: unknown[]) {
      calls[label]!++;
      return original.apply(this, args);
    };
  });
  try {
    return { result: fn(), calls };
  } finally {
    names.forEach((n, i) => (proto[n] = saved[i]!));
  }
}

/** Iterations (of any kind) among the counted calls. */
export const iterations = (c: Record<string, number>): number => c.keys! + c.values! + c.entries! + c.forEach! + c.iterator!;
