/**
 * The VT-d driver side: the host driver (root/context/PASID tables, invalidation queue, io-pgtable
 * second- and first-level tables), the guest driver (the same code writing a guest's PASID table through a
 * guest memory view), the shadowing of a bound guest PASID table, fault conversion, the iommufd form, and
 * the {@link vtdPlugin} that puts it behind core's generic API.
 * @packageDocumentation
 */
export * from './registers';
export * from './domain-ids';
export * from './pasid-entries';
export * from './pasid-tables';
export * from './context-tables';
export * from './invalidation-queue';
export * from './invalidation-requests';
export * from './io-pgtable';
export * from './host-driver';
export * from './config-codec';
export * from './fault-conversion';
export * from './fault-service';
export * from './guest-capabilities';
export * from './pasid-shadow';
export * from './bound-table';
export * from './iommufd';
export * from './vtd-domain';
export * from './vtd-iommu';
export * from './guest-driver';
export * from './plugin';
