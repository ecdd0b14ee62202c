/**
 * Maps a core walk fault to the architected event (§7.3.12–§7.3.16):
 * - kind → type: `translation` / `inputRange` / `reserved` → F_TRANSLATION, `access` → F_ACCESS,
 *   `permission` → F_PERMISSION, `addressSize` → F_ADDR_SIZE, `externalAbort` → F_WALK_EABT;
 * - stage 1: S2 = 0, CLASS = IN (F_WALK_EABT on a stage-1 descriptor: CLASS = TT, §7.3.12);
 * - stage 2: S2 = 1 with CLASS = CD for a CD/L1CD fetch, TT for a stage-1 descriptor fetch (TTRnW = 1
 *   for a read, 0 for an HTTU write), IN for the final IPA; IPA = the address stage 2 was translating;
 * - F_WALK_EABT carries FetchAddr, the PA of the descriptor whose access aborted.
 * @packageDocumentation
 */
import type { TranslationFault } from '@viommu/core';
import { EVENT_CODES as EventCode } from '../structures/index';
import { EventClass, type EventSpec } from './event-spec';
import type { Transaction } from './transaction';

/** The event type for a core fault kind. */
export function eventCodeForFault(kind: TranslationFault['kind']): number {
  switch (kind) {
    case 'access':
      return EventCode.F_ACCESS;
    case 'permission':
      return EventCode.F_PERMISSION;
    case 'addressSize':
      return EventCode.F_ADDR_SIZE;
    case 'externalAbort':
      return EventCode.F_WALK_EABT;
    default:
      return EventCode.F_TRANSLATION;
  }
}

/** The event types CD.R / STE.S2R control (§7.3.13–§7.3.16). */
export function isRecordControlled(code: number): boolean {
  return code === EventCode.F_TRANSLATION || code === EventCode.F_ADDR_SIZE || code === EventCode.F_ACCESS || code === EventCode.F_PERMISSION;
}

/** The event spec for a fault of a stage-1/stage-2 walk (including the stage-2 walk of a CD fetch). */
export function walkFaultEvent(fault: TranslationFault, txn: Transaction): EventSpec {
  const ev = txn.event(eventCodeForFault(fault.kind));
  const abort = fault.kind === 'externalAbort';
  if (fault.stage === 1) {
    ev.s2 = false;
    ev.cls = abort ? EventClass.TT : EventClass.IN;
    if (abort) ev.ttrnw = !fault.onUpdate;
  } else {
    ev.s2 = true;
    ev.cls = fault.purpose === 'config' ? EventClass.CD : fault.purpose === 's1-table' ? EventClass.TT : EventClass.IN;
    if (ev.cls === EventClass.TT) ev.ttrnw = !fault.onUpdate;
    if (!abort) ev.ipa = fault.address;
  }
  if (abort) ev.fetchAddr = fault.fetchAddress;
  return ev;
}
