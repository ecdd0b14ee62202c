/**
 * The capabilities the vIOMMU presents to a guest whose PASID table the host shadows (what a VMM such as
 * QEMU reports in the guest's CAP/ECAP): the host's first-level features, and nothing the host cannot
 * deliver through nested translation.
 * @packageDocumentation
 */
import type { VtdCapabilities } from '../structures/index';

/**
 * The guest-visible capabilities for host capabilities `host` and a guest-physical address width
 * `guestAddressBits` (the nesting domain's second-level input width):
 * - CAP.CM = 1 (caching mode): the guest must invalidate the PASID cache after every PASID-entry change,
 *   not-present → present included, because the host refreshes its shadow only then;
 * - ECAP.FLTS (PGTT 001b, shadowed as nested) and ECAP.PT (PGTT 100b, shadowed as second-level only) when
 *   the host nests; no SLTS, no NEST, no SLADS: the guest has no second level of its own here;
 * - SRS, ERS, EAFS, CAP.FL5LP, CAP.FL1GP and the PASID width as the host has them;
 * - MGAW = the guest-physical width, which also bounds the guest's FLPTPTR.
 */
export function vtdGuestCapabilities(host: VtdCapabilities, guestAddressBits: number): VtdCapabilities {
  return {
    ...host,
    cm: true,
    flts: host.nest,
    pt: host.nest,
    slts: false,
    nest: false,
    slads: false,
    sagaw: [],
    mgawBits: guestAddressBits,
  };
}
