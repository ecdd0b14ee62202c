/**
 * VT-d configuration-structure formats: RTADDR_REG, root and context entries (legacy and scalable mode), the
 * PASID directory and PASID-table entry, fault reasons and the fault recording register, invalidation-queue
 * descriptors, and CAP/ECAP. Each structure is a declarative field table plus checks that return typed
 * configurations or architected fault reasons.
 * @packageDocumentation
 */
export * from './check-result';
export * from './argument-checks';
export * from './address-width';
export * from './capabilities';
export * from './rtaddr';
export * from './root-entry';
export * from './context-entry-legacy';
export * from './context-entry-scalable';
export * from './pasid-directory';
export * from './pasid-entry';
export * from './fault-reasons';
export * from './fault-record';
export * from './qi-descriptor-layouts';
export * from './qi-descriptors';
