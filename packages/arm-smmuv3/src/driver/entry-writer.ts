/**
 * Hitless updates of live STEs and CDs. The SMMU may fetch a structure at any moment, one 64-bit word at a
 * time and in any order, so a driver must never let it see a mix of the old and the new configuration
 * that means something else [SPEC 3.21.3, 16.2; reference api-lineage §4]. The rule the Linux driver
 * follows, written here from the architecture's point of view:
 *
 * 1. Bits the current configuration does not use can change freely: set them to their new values first.
 * 2. If then only one 64-bit word still differs in bits the new configuration uses, write that word
 *    alone — one single-copy-atomic store switches from old to new — and tidy up afterwards (hitless).
 * 3. Otherwise make the entry invalid (V = 0: the SMMU aborts, it never sees a half-written entry), write
 *    every other word, then write word 0 with V = 1 (a breaking update).
 *
 * After each step that changed memory the driver makes the SMMU observe it (CFGI_* then CMD_SYNC). Which
 * bits are "used" is the caller's function; it may over-approximate (that only costs hitlessness) but
 * must never miss a bit the SMMU reads.
 * @packageDocumentation
 */

/** How a structure is written: its used bits and how to store and publish one word. */
export interface EntryWriterOps {
  /** The bits the SMMU reads from `entry` (same length, 32-bit words) given what the entry holds. */
  usedBits(entry: Uint32Array): Uint32Array;
  /** Stores 64-bit word `index` (a single-copy-atomic 64-bit write). */
  writeQword(index: number, hi: number, lo: number): void;
  /** Makes the SMMU observe every store so far (CFGI_STE / CFGI_CD, then CMD_SYNC). */
  sync(): void;
}

/** How many entry updates of each kind a table has seen. */
export interface UpdateCounts {
  /** Updates that changed nothing. */
  none: number;
  /** Updates made with one critical 64-bit store (or only unused bits). */
  hitless: number;
  /** Updates made through V = 0. */
  breaking: number;
}

/** What an update did. */
export interface EntryUpdate {
  /** `none` (nothing changed), `hitless` (one critical word), or `breaking` (through V = 0). */
  readonly kind: 'none' | 'hitless' | 'breaking';
  /** 64-bit stores made. */
  readonly writes: number;
  /** Syncs issued. */
  readonly syncs: number;
}

/**
 * Rewrites `entry` (the words currently in memory, updated in place as the stores go) into `target`,
 * hitlessly when at most one used word changes.
 */
export function writeEntry(entry: Uint32Array, target: Uint32Array, ops: EntryWriterOps): EntryUpdate {
  const qwords = entry.length / 2;
  const curUsed = ops.usedBits(entry);
  const tgtUsed = ops.usedBits(target);
  const staged = new Uint32Array(entry.length);
  let diffWords = 0;
  let critical = -1;
  for (let q = 0; q < qwords; q++) {
    let differs = false;
    for (const w of [2 * q, 2 * q + 1]) {
      staged[w] = ((entry[w]! & curUsed[w]!) | (target[w]! & ~curUsed[w]!)) >>> 0;
      if (((staged[w]! & tgtUsed[w]!) >>> 0) !== ((target[w]! & tgtUsed[w]!) >>> 0)) differs = true;
    }
    if (differs) {
      diffWords++;
      critical = q;
    }
  }
  let writes = 0;
  let syncs = 0;
  const store = (source: Uint32Array, from: number, count: number): boolean => {
    let changed = false;
    for (let q = from; q < from + count; q++) {
      if (entry[2 * q] === source[2 * q] && entry[2 * q + 1] === source[2 * q + 1]) continue;
      entry[2 * q] = source[2 * q]!;
      entry[2 * q + 1] = source[2 * q + 1]!;
      ops.writeQword(q, entry[2 * q + 1]!, entry[2 * q]!);
      writes++;
      changed = true;
    }
    if (changed) {
      ops.sync();
      syncs++;
    }
    return changed;
  };
  if (diffWords === 1) {
    // The critical word is written in step 2; staging it would only cost a sync.
    staged[2 * critical] = entry[2 * critical]!;
    staged[2 * critical + 1] = entry[2 * critical + 1]!;
    store(staged, 0, qwords);
    store(target, critical, 1);
    store(target, 0, qwords);
    return { kind: 'hitless', writes, syncs };
  }
  if (diffWords > 1) {
    staged[0] = 0;
    staged[1] = 0;
    store(staged, 0, 1);
    store(target, 1, qwords - 1);
    store(target, 0, 1);
    return { kind: 'breaking', writes, syncs };
  }
  store(target, 0, qwords);
  return { kind: writes > 0 ? 'hitless' : 'none', writes, syncs };
}
