/**
 * What the fuzz soak can run: per vendor, a plugin with its scenario builder (for the conformance
 * properties) and the vendor's structure codecs (for decode/encode round trips on random bytes).
 */
import type { VendorPlugin } from '@viommu/core';
import type { Scenario, ScenarioEnv } from '@viommu/testkit';

/** One structure for the round-trip property. */
export interface StructureCodec {
  /** Name for reports. */
  name: string;
  /** Size in 32-bit words. */
  words: number;
  /**
   * Decodes random words; must never throw. Returns the re-encoded words when the structure decoded as
   * valid (they must equal the input), or undefined when it is not valid (nothing to compare).
   */
  roundTrip(words: Uint32Array): Uint32Array | undefined;
}

/** A vendor the soak knows. */
export interface FuzzTarget {
  /** Vendor name on the command line. */
  name: string;
  /** The plugin. */
  plugin: VendorPlugin;
  /** An IommuModel number of another vendor. */
  foreignModelId: number;
  /** The vendor's conformance scenario. */
  createScenario(env: ScenarioEnv): Scenario;
  /** Structures for the round-trip property. */
  structures: StructureCodec[];
}

/** Loads a target by name (lazily, so a worker imports only its vendor). */
export async function loadTarget(name: string): Promise<FuzzTarget> {
  switch (name) {
    case 'smmuv3':
      return (await import('./target-smmuv3.ts')).target;
    case 'vtd':
      return (await import('./target-vtd.ts')).target;
    case 'example':
      return (await import('./target-example.ts')).target;
    default:
      throw new Error(`unknown fuzz target '${name}' (${TARGET_NAMES.join(', ')})`);
  }
}

/** Every target name. */
export const TARGET_NAMES = ['smmuv3', 'vtd', 'example'] as const;
