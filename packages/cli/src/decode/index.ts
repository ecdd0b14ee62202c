/**
 * The structures `viommu decode` knows: SMMUv3 first, then VT-d. Each is a {@link Decodable} built on its
 * vendor package's own layouts and check functions.
 * @packageDocumentation
 */
import type { Decodable } from '../decodable';
import { COMMAND_DECODABLE } from './smmuv3-command';
import { EVENT_DECODABLE } from './smmuv3-event';
import { CD_DECODABLE, STE_DECODABLE } from './smmuv3-ste-cd';
import { L1CD_DECODABLE, L1STD_DECODABLE } from './smmuv3-tables';
import { CONTEXT_ENTRY, PASID_DIR_ENTRY, PASID_ENTRY, ROOT_ENTRY, SM_CONTEXT_ENTRY, SM_ROOT_ENTRY } from './vtd-config';
import { FAULT_RECORD } from './vtd-fault-record';
import { FL_ENTRY, SL_ENTRY } from './vtd-paging-entry';
import { QI_DESCRIPTOR } from './vtd-qi-descriptor';

/** The SMMUv3 structures, in translation order, then events and commands. */
export const SMMUV3_DECODABLES: readonly Decodable[] = [
  L1STD_DECODABLE,
  STE_DECODABLE,
  L1CD_DECODABLE,
  CD_DECODABLE,
  EVENT_DECODABLE,
  COMMAND_DECODABLE,
];

/** The VT-d structures, in translation order, then faults and invalidations. */
export const VTD_DECODABLES: readonly Decodable[] = [
  ROOT_ENTRY,
  SM_ROOT_ENTRY,
  CONTEXT_ENTRY,
  SM_CONTEXT_ENTRY,
  PASID_DIR_ENTRY,
  PASID_ENTRY,
  FL_ENTRY,
  SL_ENTRY,
  FAULT_RECORD,
  QI_DESCRIPTOR,
];

/** Every structure `viommu decode` knows, SMMUv3 first, then VT-d. */
export const DECODABLES: readonly Decodable[] = [...SMMUV3_DECODABLES, ...VTD_DECODABLES];
