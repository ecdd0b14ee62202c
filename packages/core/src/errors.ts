/**
 * Typed errors for invalid API input and malformed files. Guest-controlled memory never raises these:
 * walks and lookups return architected faults as values instead.
 * @packageDocumentation
 */

/**
 * Every error code the project raises. Codes are stable: tools match on them.
 * - `CONFIG_*`: a {@link PasidTableConfig} or vendor block failed a check.
 * - `DOMAIN_*`, `DEVICE_*`, `BIND_*`: the generic API was called in a state that does not allow it.
 * - `DUMP_*`: a memory-dump file is malformed.
 * - `FIELD_*`: a structure field value does not fit.
 */
export type IommuErrorCode =
  | 'CONFIG_VERSION'
  | 'CONFIG_BYTES'
  | 'CONFIG_PASID_BITS'
  | 'CONFIG_ALIGNMENT'
  | 'CONFIG_MODEL'
  | 'CONFIG_VENDOR'
  | 'CONFIG_TAIL'
  | 'CONFIG_PADDING'
  | 'CONFIG_ADDRESS'
  | 'CONFIG_UNSUPPORTED'
  | 'DOMAIN_TYPE'
  | 'DOMAIN_IOMMU'
  | 'DOMAIN_HAS_DEVICES'
  | 'DEVICE_UNKNOWN'
  | 'DEVICE_ATTACHED'
  | 'DEVICE_NOT_ATTACHED'
  | 'DEVICE_BOUND'
  | 'BIND_ALREADY'
  | 'BIND_NONE'
  | 'INVALIDATE_COMBINATION'
  | 'INVALIDATE_ARGUMENT'
  | 'MAP_ARGUMENT'
  | 'MAP_EXISTS'
  | 'MAP_RANGE'
  | 'OUT_OF_MEMORY'
  | 'MEMORY_UNBACKED'
  | 'MEMORY_ARGUMENT'
  | 'DUMP_EMPTY'
  | 'DUMP_TRUNCATED'
  | 'DUMP_MAGIC'
  | 'DUMP_CLASS'
  | 'DUMP_ENDIAN'
  | 'DUMP_TYPE'
  | 'DUMP_SEGMENT'
  | 'DUMP_OVERLAP'
  | 'DUMP_RANGE'
  | 'FAULT_HANDLER'
  | 'PAGE_RESPONSE'
  | 'FIELD_RANGE'
  | 'UNKNOWN_FIELD'
  | 'PLUGIN'
  | 'ARGUMENT';

/** An error raised for invalid API input or a malformed file. `code` says which check failed. */
export class IommuError extends Error {
  /** The stable error code. */
  readonly code: IommuErrorCode;
  /** Extra machine-readable detail (the offending field, offset…). */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: IommuErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'IommuError';
    this.code = code;
    this.detail = detail;
  }
}

/** True when `e` is an {@link IommuError}, optionally with the given code. */
export function isIommuError(e: unknown, code?: IommuErrorCode): e is IommuError {
  return e instanceof IommuError && (code === undefined || e.code === code);
}
