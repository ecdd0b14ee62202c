/**
 * The VT-d device model: what the remapping hardware does — registers, translation, caches, fault
 * recording and invalidation.
 * @packageDocumentation
 */
export * from './registers';
export * from './request';
export * from './caches';
export * from './fault-log';
export * from './invalidation-queue';
export * from './descriptors';
export * from './views';
export * from './translate';
export * from './fault-record';
export * from './vtd-model';
