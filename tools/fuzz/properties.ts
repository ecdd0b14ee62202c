/**
 * The soak's properties, as fast-check properties over one target: the conformance properties of the
 * testkit (isolation with determinism and no exception, coherence) and structure round trips on random bytes.
 */
import fc from 'fast-check';
import { buildScenario, checkCoherence, checkIsolation, type CoherenceOp } from '@viommu/testkit';
import { Access, type DmaRequest } from '@viommu/core';
import type { FuzzTarget } from './targets.ts';

/** Property names. */
export const PROPERTY_NAMES = ['isolation', 'coherence', 'structures'] as const;
/** One property name. */
export type PropertyName = (typeof PROPERTY_NAMES)[number];

const accessArb = fc.constantFrom(Access.READ, Access.WRITE, Access.EXEC, Access.READ | Access.PRIV, Access.WRITE | Access.PRIV, Access.EXEC | Access.PRIV);

/** Builds the fast-check property `name` for a target. */
export function buildProperty(target: FuzzTarget, name: PropertyName): fc.IProperty<unknown[]> {
  const options = { name: target.name, plugin: target.plugin, foreignModelId: target.foreignModelId, createScenario: target.createScenario };
  if (name === 'isolation') {
    return fc.property(
      fc.nat(),
      fc.array(fc.record({ offset: fc.nat({ max: 1 << 24 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), { maxLength: 32 }),
      fc.array(
        fc.record({
          pick: fc.nat(),
          pasid: fc.option(fc.nat({ max: 0xf_ffff }), { nil: undefined }),
          offset: fc.nat({ max: 0xffff }),
          wild: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
          access: accessArb,
        }),
        { minLength: 1, maxLength: 8 },
      ),
      (seed, garbage, picks) => {
        const { scenario: s, env } = buildScenario(options, seed);
        s.iommu.bindPasidTable(s.domain, s.device, s.config);
        const requests: DmaRequest[] = picks.map((p) => {
          const m = s.mappings[p.pick % Math.max(1, s.mappings.length)];
          const usePasid = p.pick % 3 !== 0 && m ? m.pasid : p.pasid;
          const address = p.wild ?? (m ? m.gva + p.offset : p.offset);
          return { device: s.device, pasid: usePasid, address, access: p.access };
        });
        const problems = checkIsolation(s, env, garbage, requests);
        if (problems.length) throw new Error(problems.join('\n'));
      },
    );
  }
  if (name === 'coherence') {
    const op: fc.Arbitrary<CoherenceOp> = fc.oneof(
      fc.record({ op: fc.constant('map' as const), mapping: fc.nat(), slot: fc.nat({ max: 15 }), write: fc.boolean() }),
      fc.record({ op: fc.constant('unmap' as const), mapping: fc.nat() }),
      fc.record({ op: fc.constant('translate' as const), mapping: fc.nat(), offset: fc.nat(), access: fc.constantFrom(Access.READ, Access.WRITE, Access.READ | Access.PRIV) }),
    );
    return fc.property(fc.nat(), fc.array(op, { minLength: 1, maxLength: 40 }), (seed, ops) => {
      const { scenario: s } = buildScenario(options, seed);
      s.iommu.bindPasidTable(s.domain, s.device, s.config);
      const problems = checkCoherence(s, ops);
      if (problems.length) throw new Error(problems.join('\n'));
    });
  }
  const codecs = target.structures;
  return fc.property(fc.nat(), fc.uint32Array({ minLength: 16, maxLength: 16 }), (pick, raw) => {
    if (codecs.length === 0) return;
    const codec = codecs[pick % codecs.length]!;
    const words = raw.slice(0, codec.words);
    const again = codec.roundTrip(words);
    if (again && !again.every((w, i) => w === words[i])) {
      throw new Error(`${codec.name}: re-encoding a valid decode changed the bits: ${Array.from(words, (w) => w.toString(16))} → ${Array.from(again, (w) => w.toString(16))}`);
    }
  });
}
