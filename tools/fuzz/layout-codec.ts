/** Round-trip codecs built from structure layouts, shared by the vendor fuzz targets. */
import type { StructureLayout } from '@viommu/core';
import type { StructureCodec } from './targets.ts';

/**
 * A codec over a layout: a structure is "valid" for the round trip when no reserved bit and no bit outside
 * every field is set; then decode → encode must give back the same bits.
 */
export function layoutCodec(name: string, layout: StructureLayout<string>): StructureCodec {
  const covered = new Uint32Array(layout.wordCount);
  for (const f of layout.spec.fields) for (let b = f.lo; b <= f.hi; b++) covered[b >>> 5] = (covered[b >>> 5]! | (1 << (b & 31))) >>> 0;
  return {
    name,
    words: layout.wordCount,
    roundTrip(words) {
      for (let i = 0; i < layout.wordCount; i++) if ((words[i]! & ~covered[i]!) >>> 0 !== 0) return undefined;
      return layout.encode(layout.decode(words));
    },
  };
}
