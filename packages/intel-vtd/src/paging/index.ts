/**
 * VT-d paging: the first-level (IA-32e 4/5-level) and second-level page-table formats as core
 * `PageTableFormat` instances, the canonical-address check, and the walk-fault → fault-reason mapping.
 * @packageDocumentation
 */
export * from './first-level-entry';
export * from './first-level';
export * from './second-level-entry';
export * from './second-level';
export * from './fault-reason';
