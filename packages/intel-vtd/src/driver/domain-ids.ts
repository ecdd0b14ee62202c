/**
 * Domain-id allocation (VT-d spec §3.4.4: CAP.ND gives 2^(4 + 2·ND) domain-ids). DID 0 is never handed out:
 * Linux keeps it reserved (with CAP.CM it tags invalid entries), and a zero DID in a written entry is then
 * always a driver bug rather than a domain.
 * @packageDocumentation
 */
import { IommuError } from '@viommu/core';

/** Hands out and takes back domain-ids. */
export class DomainIdAllocator {
  /** Number of domain-ids the hardware supports. */
  readonly limit: number;
  private readonly used = new Set<number>();
  private next = 1;

  /** @param nd CAP.ND (0..6). */
  constructor(nd: number) {
    this.limit = 2 ** (4 + 2 * nd);
  }

  /** A free domain-id. @throws IommuError `OUT_OF_MEMORY` when every domain-id is in use. */
  allocate(): number {
    for (let tries = 1; tries < this.limit; tries++) {
      const did = this.next;
      this.next = this.next + 1 >= this.limit ? 1 : this.next + 1;
      if (!this.used.has(did)) {
        this.used.add(did);
        return did;
      }
    }
    throw new IommuError('OUT_OF_MEMORY', `all ${this.limit - 1} domain-ids are in use`);
  }

  /** Returns a domain-id. */
  free(did: number): void {
    this.used.delete(did);
  }

  /** True while `did` is allocated. */
  has(did: number): boolean {
    return this.used.has(did);
  }
}
