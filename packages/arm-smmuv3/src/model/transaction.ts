/**
 * An incoming transaction as the model sees it (§3.2, §13.1): StreamID, optional SubstreamID, a 64-bit
 * input address and the access attributes RnW / InD / PnU, with the STE's PRIVCFG / INSTCFG overrides
 * applied once the STE is known (§5.2; events report the post-override values, §7.3).
 * @packageDocumentation
 */
import { Access, IommuError, toHalves, type TraceEntry } from '@viommu/core';
import type { EventSpec } from './event-spec';

/** A DMA transaction presented to {@link SmmuV3Model.translate}. */
export interface SmmuTransaction {
  /** StreamID, 0..2^32 − 1. */
  readonly streamId: number;
  /** SubstreamID (PASID), 0..2^20 − 1, or undefined for a transaction without one (SSV = 0). */
  readonly substreamId?: number | undefined;
  /** The 64-bit input address: a non-negative safe integer, or a bigint (taken modulo 2^64). */
  readonly address: number | bigint;
  /**
   * Core {@link Access} bits: READ, WRITE, EXEC (an instruction fetch: a read with InD = 1) and PRIV
   * (PnU = 1). A transaction with WRITE is a write (RnW = 0); otherwise it is a read.
   */
  readonly access: number;
}

/** Options of one translation. */
export interface SmmuTranslateOptions {
  /**
   * When set, every configuration-structure and descriptor read is appended, in order: L1STD, STE, L1CD
   * and CD reads as stage 0 with a `label` (one entry per 64-bit word), and the stage-1 / stage-2
   * descriptor reads of the walk. Reads served from a cache do not appear.
   */
  readonly trace?: TraceEntry[] | undefined;
  /** Ignore every cache: look nothing up and fill nothing (a reference for the cached answer). */
  readonly uncached?: boolean | undefined;
}

/** The transaction after validation, with the attributes the pipeline needs. */
export class Transaction {
  /** StreamID. */
  readonly sid: number;
  /** SSV. */
  readonly ssv: boolean;
  /** SubstreamID (0 when none). */
  readonly ssid: number;
  /** Input address bits [63:32]. */
  readonly hi: number;
  /** Input address bits [31:0]. */
  readonly lo: number;
  /** The transaction is a write (RnW = 0). */
  readonly write: boolean;
  /** Incoming instruction attribute (before INSTCFG). */
  private readonly incomingInstr: boolean;
  /** Incoming privilege attribute (before PRIVCFG). */
  private readonly incomingPriv: boolean;
  /** InD after the STE override (always false for writes). */
  instr: boolean;
  /** PnU after the STE override. */
  priv: boolean;

  /** @throws IommuError `ARGUMENT` for a malformed transaction. */
  constructor(req: SmmuTransaction) {
    const { streamId, substreamId, address, access } = req;
    if (!Number.isInteger(streamId) || streamId < 0 || streamId > 0xffff_ffff) {
      throw new IommuError('ARGUMENT', `streamId must be a 32-bit unsigned integer, got ${String(streamId)}`);
    }
    if (substreamId !== undefined && (!Number.isInteger(substreamId) || substreamId < 0 || substreamId >= 2 ** 20)) {
      throw new IommuError('ARGUMENT', `substreamId must be a 20-bit unsigned integer, got ${String(substreamId)}`);
    }
    if (typeof address === 'number' && (!Number.isSafeInteger(address) || address < 0)) {
      throw new IommuError('ARGUMENT', `address must be a non-negative safe integer or a bigint, got ${address}`);
    }
    if (typeof address !== 'number' && typeof address !== 'bigint') {
      throw new IommuError('ARGUMENT', 'address must be a number or a bigint');
    }
    if (!Number.isInteger(access) || access < 0 || access > 15) {
      throw new IommuError('ARGUMENT', `access must be a combination of Access bits, got ${String(access)}`);
    }
    this.sid = streamId;
    this.ssv = substreamId !== undefined;
    this.ssid = substreamId ?? 0;
    const h = toHalves(address);
    this.hi = h.hi;
    this.lo = h.lo;
    this.write = (access & Access.WRITE) !== 0;
    this.incomingInstr = !this.write && (access & Access.EXEC) !== 0;
    this.incomingPriv = (access & Access.PRIV) !== 0;
    this.instr = this.incomingInstr;
    this.priv = this.incomingPriv;
  }

  /**
   * Applies STE.PRIVCFG / STE.INSTCFG (§5.2: 0b10 unprivileged / data, 0b11 privileged / instruction,
   * else use incoming; INSTCFG affects reads only).
   */
  applyOverrides(privcfg: number, instcfg: number): void {
    this.priv = privcfg === 2 ? false : privcfg === 3 ? true : this.incomingPriv;
    this.instr = this.write ? false : instcfg === 2 ? false : instcfg === 3 ? true : this.incomingInstr;
  }

  /** The core {@link Access} mask the walks check: WRITE, or EXEC for an instruction read, or READ; plus PRIV. */
  get walkAccess(): number {
    const kind = this.write ? Access.WRITE : this.instr ? Access.EXEC : Access.READ;
    return kind | (this.priv ? Access.PRIV : 0);
  }

  /** True when the input address is at or above 2^bits (bits ≤ 64). */
  addressAtOrAbove(bits: number): boolean {
    if (bits >= 64) return false;
    if (bits >= 32) return this.hi >>> 0 >= 2 ** (bits - 32);
    return this.hi !== 0 || this.lo >>> 0 >= 2 ** bits;
  }

  /** The input address as a number (callers check it is below 2^53 first). */
  get addressNumber(): number {
    return this.hi * 0x1_0000_0000 + (this.lo >>> 0);
  }

  /** A new event spec for this transaction, with the common fields filled in. */
  event(code: number): EventSpec {
    return {
      code,
      streamId: this.sid,
      ssv: this.ssv,
      substreamId: this.ssid,
      rnw: !this.write,
      ind: this.instr,
      pnu: this.priv,
      s2: false,
      cls: 0,
      ttrnw: false,
      inputHi: this.hi,
      inputLo: this.lo,
    };
  }
}
