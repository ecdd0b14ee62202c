import { Access } from '@viommu/core';
import { CliError } from '../errors';
import { parseHex } from '../hex';

/** A DMA request as the CLI reads it (flags or one JSON line). */
export interface CliRequest {
  /** SMMUv3 StreamID, or VT-d requester id (bus << 8 | devfn). */
  sid: number;
  /** SMMUv3 SubstreamID / VT-d PASID; undefined for a request without one. */
  pasid: number | undefined;
  /** Input address, full 64 bits. */
  iova: bigint;
  /** `read`, `write` or `exec`. */
  access: 'read' | 'write' | 'exec';
  /** Privileged (SMMUv3 PnU = 1; VT-d supervisor request). */
  privileged: boolean;
}

/** The request's core {@link Access} bits. */
export function accessBits(r: CliRequest): number {
  const kind = r.access === 'write' ? Access.WRITE : r.access === 'exec' ? Access.EXEC : Access.READ;
  return kind | (r.privileged ? Access.PRIV : 0);
}

/** The vendor-specific names of the request fields. */
export interface RequestSchema {
  /** Name of the PASID field: `ssid` (SMMUv3) or `pasid` (VT-d). */
  pasidField: 'ssid' | 'pasid';
  /** Largest sid value. */
  maxSid: number;
}

function integer(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new CliError(`'${field}' must be an integer, got ${JSON.stringify(value)}`);
  if (value < 0) throw new CliError(`'${field}' must not be negative, got ${value}`);
  if (value > max) throw new CliError(`'${field}' ${value} is beyond its maximum ${max}`);
  return value;
}

function address(value: unknown, field: string): bigint {
  if (typeof value === 'string') {
    try {
      return parseHex(value, field);
    } catch (e) {
      throw new CliError(`'${field}': ${(e as Error).message}`);
    }
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CliError(`'${field}' ${value} is not an exact integer: give addresses as "0x…" strings`);
    if (value < 0) throw new CliError(`'${field}' must not be negative, got ${value}`);
    return BigInt(value);
  }
  throw new CliError(`'${field}' must be a "0x…" string, got ${JSON.stringify(value)}`);
}

/** Parses one JSON Lines request, rejecting unknown fields and out-of-range values. */
export function parseRequestLine(text: string, schema: RequestSchema): CliRequest {
  let obj: unknown;
  try {
    // Numbers beyond 2^53 lose precision in JSON.parse; catch them before they are silently rounded.
    obj = JSON.parse(text);
  } catch (e) {
    throw new CliError(`malformed JSON: ${(e as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new CliError('a request must be a JSON object');
  const known = new Set(['sid', schema.pasidField, 'iova', 'access', 'privileged']);
  for (const k of Object.keys(obj)) if (!known.has(k)) throw new CliError(`unknown field '${k}' (fields: ${[...known].join(', ')})`);
  const o = obj as Record<string, unknown>;
  if (!('sid' in o)) throw new CliError("missing field 'sid'");
  if (!('iova' in o)) throw new CliError("missing field 'iova'");
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) throw new CliError(`'${k}' ${v} is beyond 2^53: give it as a "0x…" string`);
  }
  const pasidRaw = o[schema.pasidField];
  const access = o.access ?? 'read';
  if (access !== 'read' && access !== 'write' && access !== 'exec') throw new CliError(`'access' must be "read", "write" or "exec", got ${JSON.stringify(access)}`);
  const privileged = o.privileged ?? false;
  if (typeof privileged !== 'boolean') throw new CliError(`'privileged' must be true or false, got ${JSON.stringify(privileged)}`);
  return {
    sid: integer(o.sid, 'sid', schema.maxSid),
    pasid: pasidRaw === null || pasidRaw === undefined ? undefined : integer(pasidRaw, schema.pasidField, 0xf_ffff),
    iova: address(o.iova, 'iova'),
    access,
    privileged,
  };
}
