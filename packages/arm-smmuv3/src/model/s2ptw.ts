/**
 * STE.S2PTW (§5.2): with S2PTW == 1, a CD/L1CD fetch or a stage-1 translation table walk whose IPA
 * stage 2 maps to Device memory takes a stage-2 Permission fault (reported with CLASS = CD or TT). The
 * final IPA of the transaction is not affected.
 *
 * The core nested translator runs the stage-2 walks of the stage-1 table fetches and of the final IPA
 * with the same stage-2 format, so the model wraps both formats around a shared {@link PtwSwitch}: it is
 * armed before a configuration fetch or a walk, the stage-1 wrapper disarms it once the stage-1 walk
 * has decoded its last descriptor (leaf or fault), and the stage-2 wrapper faults a Device leaf only
 * while armed. Device memory is MemAttr[3:2] == 0b00, the STE.S2FWB == 0 encoding; with S2FWB == 1 the
 * check is not applied.
 * @packageDocumentation
 */
import { EntryKind, type EntryKindValue, type MapProt, type PageTableFormat, type U64, type WalkState } from '@viommu/core';
import { S2Attr } from '../vmsa/index';

/** Whether the stage-2 walk in progress serves a table or configuration fetch. */
export class PtwSwitch {
  /** True while stage-2 walks serve CD/L1CD fetches or stage-1 table fetches. */
  armed = false;
}

/** A format delegating everything to another, for wrappers that only change `decode`. */
abstract class DelegatingFormat implements PageTableFormat {
  readonly name: string;
  readonly levels: number;
  readonly inputBits: number;
  readonly outputBits: number;
  readonly shifts: readonly number[];
  readonly indexBits: readonly number[];
  readonly archLevels: readonly number[];
  readonly leafDepths: readonly boolean[];
  readonly granuleShift: number;

  constructor(
    protected readonly inner: PageTableFormat,
    protected readonly sw: PtwSwitch,
  ) {
    this.name = inner.name;
    this.levels = inner.levels;
    this.inputBits = inner.inputBits;
    this.outputBits = inner.outputBits;
    this.shifts = inner.shifts;
    this.indexBits = inner.indexBits;
    this.archLevels = inner.archLevels;
    this.leafDepths = inner.leafDepths;
    this.granuleShift = inner.granuleShift;
  }

  classify(hi: number, lo: number, depth: number): EntryKindValue {
    return this.inner.classify(hi, lo, depth);
  }
  address(hi: number, lo: number, depth: number): number {
    return this.inner.address(hi, lo, depth);
  }
  encodeTable(next: number, depth: number, out: U64): void {
    this.inner.encodeTable(next, depth, out);
  }
  encodeLeaf(output: number, depth: number, prot: MapProt, out: U64): void {
    this.inner.encodeLeaf(output, depth, prot, out);
  }
  splitLeaf(hi: number, lo: number, depth: number, output: number, out: U64): void {
    this.inner.splitLeaf(hi, lo, depth, output, out);
  }
  abstract decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue;
}

/** Stage 2 under S2PTW: a Device leaf reached while the switch is armed is a Permission fault. */
export class PtwStage2Format extends DelegatingFormat {
  decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue {
    const kind = this.inner.decode(hi, lo, depth, access, state);
    if (kind === EntryKind.LEAF && this.sw.armed && (state.attrs & S2Attr.DEVICE) !== 0) {
      state.fault = 'permission';
      state.faultDetail = 'read';
      state.setHi = 0;
      state.setLo = 0;
      return EntryKind.FAULT;
    }
    return kind;
  }
}

/** Stage 1 under S2PTW: disarms the switch once the walk has decoded its last descriptor. */
export class PtwStage1Format extends DelegatingFormat {
  decode(hi: number, lo: number, depth: number, access: number, state: WalkState): EntryKindValue {
    const kind = this.inner.decode(hi, lo, depth, access, state);
    if (kind !== EntryKind.TABLE) this.sw.armed = false;
    return kind;
  }
}
