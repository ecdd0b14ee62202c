/**
 * The DMA request the device model translates, its validation, and the normalisation of its access bits
 * (VT-d spec §3.4 "request attributes": execute-requested (ER) and privileged-mode-requested (PR) exist only
 * on requests with PASID; an execute request is a read).
 * @packageDocumentation
 */
import { Access, IommuError } from '@viommu/core';

/** One DMA request as it reaches the remapping unit. */
export interface VtdRequest {
  /** Source-id (requester id): bus << 8 | devfn, 0..0xFFFF. */
  sourceId: number;
  /** PASID of a request with PASID (0..2^20 − 1); undefined for a request without PASID. */
  pasid?: number | undefined;
  /** Input address (IOVA, GPA or GVA). A `bigint` carries full 64-bit addresses (canonical high halves). */
  address: number | bigint;
  /**
   * Core `Access` bits: READ and/or WRITE, EXEC for an execute request (ER = 1; implies a read),
   * PRIV for a supervisor request (PR = 1). EXEC and PRIV are attributes of requests with PASID only and
   * are ignored without a PASID (scalable mode then takes the privilege from RID_PRIV).
   */
  access: number;
}

/** A validated request, split for the hot path. */
export interface NormalizedRequest {
  /** Source-id. */
  readonly sourceId: number;
  /** PASID, or undefined. */
  readonly pasid: number | undefined;
  /** The input address as given (for fault records). */
  readonly address: number | bigint;
  /** The input address with bits 11:0 cleared, as a number: exact for every 64-bit address. */
  readonly page: number;
  /** Input address bits 11:0. */
  readonly offset: number;
  /** Input address bits 63:32. */
  readonly hi: number;
  /** Input address bits 31:0. */
  readonly lo: number;
  /** Access bits as requested, with EXEC implying READ. */
  readonly access: number;
}

const TWO_POW_64 = 1n << 64n;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Validates a request and splits its address.
 * @throws IommuError `ARGUMENT` for a source-id outside 0..0xFFFF, a PASID outside 0..2^20−1, an address
 * that is negative, not an integer or not below 2^64, or access bits with neither READ, WRITE nor EXEC (or
 * bits beyond PRIV).
 */
export function normalizeRequest(req: VtdRequest): NormalizedRequest {
  const { sourceId, pasid } = req;
  if (!Number.isInteger(sourceId) || sourceId < 0 || sourceId > 0xffff) {
    throw new IommuError('ARGUMENT', `source-id ${String(sourceId)} is not 0..0xFFFF`, { sourceId });
  }
  if (pasid !== undefined && (!Number.isInteger(pasid) || pasid < 0 || pasid > 0xf_ffff)) {
    throw new IommuError('ARGUMENT', `PASID ${String(pasid)} is not 0..2^20-1`, { pasid });
  }
  let access = req.access;
  const known = Access.READ | Access.WRITE | Access.EXEC | Access.PRIV;
  if (!Number.isInteger(access) || (access & ~known) !== 0 || (access & (Access.READ | Access.WRITE | Access.EXEC)) === 0) {
    throw new IommuError('ARGUMENT', `access ${String(access)} must combine READ, WRITE, EXEC (and PRIV)`, { access });
  }
  if (access & Access.EXEC) access |= Access.READ;
  const address = req.address;
  if (typeof address === 'number') {
    // The common case stays in number arithmetic: a safe integer splits exactly.
    if (!Number.isSafeInteger(address) || address < 0) {
      throw new IommuError('ARGUMENT', `address ${String(address)} is not a non-negative safe integer (use a bigint)`, { address });
    }
    const offset = address % 4096;
    return { sourceId, pasid, address, page: address - offset, offset, hi: Math.floor(address / TWO_POW_32) >>> 0, lo: address >>> 0, access };
  }
  if (typeof address !== 'bigint' || address < 0n || address >= TWO_POW_64) {
    throw new IommuError('ARGUMENT', `address ${String(address)} is not a 64-bit address`, { address });
  }
  const offset = Number(address & 0xfffn);
  const hi = Number(address >> 32n);
  const lo = Number(address & 0xffff_ffffn);
  return { sourceId, pasid, address, page: Number(address - BigInt(offset)), offset, hi, lo, access };
}
