/**
 * Declarative layouts of architected structures (STE, CD, PASID entry, event record…): a table of named
 * bit fields drives decode, encode and the reserved-bit check, so each vendor format is a small descriptor
 * instead of hand-written shifting.
 * @packageDocumentation
 */
import { anyBitSet, getField, getFieldBig, setField, setFieldBig, type Words } from './bits';
import { IommuError } from './errors';

/** One named field of a structure, bits `[hi:lo]` (absolute, inclusive). */
export interface FieldSpec<N extends string = string> {
  /** The field's architectural name, e.g. `S1ContextPtr`. */
  readonly name: N;
  /** Most significant bit, inclusive. */
  readonly hi: number;
  /** Least significant bit. */
  readonly lo: number;
  /**
   * For address fields: the decoded value is the raw field shifted left by this many bits (e.g. an address
   * stored as `addr[55:6]` in bits 55:6 has `shift: 6`; `addr[51:4]` stored in bits 115:68 has `shift: 4`).
   * Encoding requires the low `shift` bits of the value to be zero. Width plus shift above 53 needs `big`.
   */
  readonly shift?: number;
  /** Decode as `bigint` (required when width + shift exceeds 53 bits). */
  readonly big?: boolean;
  /** Names of enumerated values, for human-readable decoding. */
  readonly values?: Readonly<Record<number, string>>;
  /** What the field means, for generated docs and `viommu decode`. */
  readonly doc?: string;
}

/** A structure layout: its size and fields, and the bit ranges that are reserved (must be zero). */
export interface StructureSpec<N extends string = string> {
  /** Architectural name, e.g. `STE`. */
  readonly name: string;
  /** Size in bits (a multiple of 32). */
  readonly bits: number;
  /** Named fields. */
  readonly fields: readonly FieldSpec<N>[];
  /** Reserved ranges `[hi, lo]` (inclusive) that must be zero. */
  readonly reserved?: readonly (readonly [number, number])[];
}

/** Decoded field values: `number` for fields up to 53 bits, `bigint` for fields declared `big`. */
export type FieldValues<N extends string> = Record<N, number | bigint>;

/** A reserved range that holds set bits. */
export interface ReservedViolation {
  /** Most significant bit of the reserved range. */
  hi: number;
  /** Least significant bit of the reserved range. */
  lo: number;
  /** The bits found set, relative to `lo`. */
  value: bigint;
}

/** Accessor for one field, precomputed for hot paths. */
export interface FieldAccessor {
  /** The field's spec. */
  readonly spec: FieldSpec;
  /** Reads the (shifted) value as a number. */
  get(words: ArrayLike<number>): number;
  /** Writes a (shifted) number value. */
  set(words: Words, value: number): void;
}

/** A structure layout with its decode/encode/validate operations. */
export interface StructureLayout<N extends string> {
  /** The spec this layout was built from. */
  readonly spec: StructureSpec<N>;
  /** Size in 32-bit words. */
  readonly wordCount: number;
  /** Size in bytes. */
  readonly byteCount: number;
  /** A zeroed structure. */
  create(): Words;
  /** Reads every field. */
  decode(words: ArrayLike<number>): FieldValues<N>;
  /**
   * Builds a structure from field values (missing fields are zero).
   * @throws IommuError `FIELD_RANGE` when a value does not fit its field or an address is misaligned.
   */
  encode(values: Partial<FieldValues<N>>): Words;
  /** Reads one field as a number (fields declared `big` throw; use {@link StructureLayout.getBig}). */
  get(words: ArrayLike<number>, name: N): number;
  /** Reads one field as a bigint. */
  getBig(words: ArrayLike<number>, name: N): bigint;
  /** Writes one field. @throws IommuError `FIELD_RANGE` */
  set(words: Words, name: N, value: number | bigint): void;
  /** A precomputed accessor for one field. */
  field(name: N): FieldAccessor;
  /** Reserved ranges with set bits (empty when the structure is clean). */
  reservedViolations(words: ArrayLike<number>): ReservedViolation[];
  /** True when any reserved bit is set. */
  hasReservedBits(words: ArrayLike<number>): boolean;
}

function widthOf(f: FieldSpec): number {
  return f.hi - f.lo + 1;
}

/**
 * Builds a {@link StructureLayout} from a spec, checking that fields do not overlap each other or the
 * reserved ranges and lie inside the structure.
 */
export function defineStructure<const N extends string>(spec: StructureSpec<N>): StructureLayout<N> {
  const wordCount = Math.ceil(spec.bits / 32);
  const owner = new Array<string | undefined>(spec.bits);
  const claim = (hi: number, lo: number, who: string) => {
    if (lo < 0 || hi >= spec.bits || hi < lo) throw new RangeError(`${spec.name}.${who}: bad range [${hi}:${lo}]`);
    for (let b = lo; b <= hi; b++) {
      if (owner[b] !== undefined) throw new RangeError(`${spec.name}: ${who} overlaps ${owner[b]} at bit ${b}`);
      owner[b] = who;
    }
  };
  const byName = new Map<string, FieldSpec<N>>();
  for (const f of spec.fields) {
    claim(f.hi, f.lo, f.name);
    if (byName.has(f.name)) throw new RangeError(`${spec.name}: duplicate field ${f.name}`);
    if (!f.big && widthOf(f) + (f.shift ?? 0) > 53) {
      throw new RangeError(`${spec.name}.${f.name}: wider than 53 bits, declare it big`);
    }
    byName.set(f.name, f);
  }
  for (const [hi, lo] of spec.reserved ?? []) claim(hi, lo, `reserved[${hi}:${lo}]`);
  const reservedMask = new Uint32Array(wordCount);
  for (const [hi, lo] of spec.reserved ?? []) {
    for (let b = lo; b <= hi; b++) reservedMask[b >>> 5] = (reservedMask[b >>> 5]! | (1 << (b & 31))) >>> 0;
  }

  const lookup = (name: N): FieldSpec<N> => {
    const f = byName.get(name);
    if (!f) throw new IommuError('UNKNOWN_FIELD', `${spec.name} has no field ${name}`);
    return f;
  };
  const readNumber = (words: ArrayLike<number>, f: FieldSpec): number => {
    const raw = getField(words, f.lo, widthOf(f));
    return f.shift ? raw * 2 ** f.shift : raw;
  };
  const readBig = (words: ArrayLike<number>, f: FieldSpec): bigint =>
    getFieldBig(words, f.lo, widthOf(f)) << BigInt(f.shift ?? 0);
  const write = (words: Words, f: FieldSpec, value: number | bigint) => {
    const shift = BigInt(f.shift ?? 0);
    const v = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value) : -1n;
    const raw = v >> shift;
    if (v < 0n || raw << shift !== v || raw >> BigInt(widthOf(f)) !== 0n) {
      throw new IommuError(
        'FIELD_RANGE',
        `${spec.name}.${f.name}: value ${String(value)} does not fit bits [${f.hi}:${f.lo}]` +
          (f.shift ? ` with the low ${f.shift} bits zero` : ''),
      );
    }
    if (widthOf(f) <= 53) setField(words, f.lo, widthOf(f), Number(raw));
    else setFieldBig(words, f.lo, widthOf(f), raw);
  };

  const layout: StructureLayout<N> = {
    spec,
    wordCount,
    byteCount: wordCount * 4,
    create: () => new Uint32Array(wordCount),
    decode(words) {
      const out = {} as FieldValues<N>;
      for (const f of spec.fields) out[f.name] = f.big ? readBig(words, f) : readNumber(words, f);
      return out;
    },
    encode(values) {
      const words = new Uint32Array(wordCount);
      for (const [name, value] of Object.entries(values) as [N, number | bigint | undefined][]) {
        if (value === undefined) continue;
        write(words, lookup(name), value);
      }
      return words;
    },
    get(words, name) {
      const f = lookup(name);
      if (f.big) throw new IommuError('FIELD_RANGE', `${spec.name}.${name} is wider than 53 bits; use getBig`);
      return readNumber(words, f);
    },
    getBig: (words, name) => readBig(words, lookup(name)),
    set: (words, name, value) => write(words, lookup(name), value),
    field(name) {
      const f = lookup(name);
      if (f.big) throw new IommuError('FIELD_RANGE', `${spec.name}.${name} is wider than 53 bits`);
      return { spec: f, get: (words) => readNumber(words, f), set: (words, value) => write(words, f, value) };
    },
    reservedViolations(words) {
      const out: ReservedViolation[] = [];
      for (const [hi, lo] of spec.reserved ?? []) {
        if (anyBitSet(words, lo, hi - lo + 1)) out.push({ hi, lo, value: getFieldBig(words, lo, hi - lo + 1) });
      }
      return out;
    },
    hasReservedBits(words) {
      for (let i = 0; i < wordCount; i++) if (((words[i] ?? 0) & reservedMask[i]!) !== 0) return true;
      return false;
    },
  };
  return layout;
}
