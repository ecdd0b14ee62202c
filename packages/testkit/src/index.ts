/**
 * @viommu/testkit — the conformance suite every viommu vendor plugin runs. A plugin's test file calls
 * {@link runConformanceSuite} with its plugin and a scenario factory; the suite generates isolation,
 * coherence, API-contract and fault-record tests (fast-check, fixed seed printed on failure).
 * @packageDocumentation
 */
export * from './scenario';
export * from './properties';
export * from './suite';
