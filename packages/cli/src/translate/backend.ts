import type { TraceEntry } from '@viommu/core';
import type { TranslateJson } from './outcome';
import type { CliRequest, RequestSchema } from './request';

/** One vendor's device model behind `viommu translate`. */
export interface TranslateBackend {
  /** How requests are spelled for this vendor. */
  schema: RequestSchema;
  /** Translates one request, appending every read to `trace`. */
  translate(req: CliRequest, trace: TraceEntry[]): TranslateJson;
}
