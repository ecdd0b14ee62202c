/**
 * `runConformanceSuite`: called from a vendor plugin's test file, it generates the vitest tests every
 * plugin must pass — isolation, coherence, API contract, fault records — with a fixed fast-check seed that
 * is printed on failure.
 * @packageDocumentation
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Access, SparseMemory, TracingMemory, type DmaRequest, type GenericFault } from '@viommu/core';
import { checkCoherence, checkIsolation, describeResult, errorCode, sampleRequests, type CoherenceOp, type GarbageWrite } from './properties';
import type { ConformanceOptions, Scenario, ScenarioEnv } from './scenario';

/** The default seed, overridden by `options.seed` or the `VIOMMU_SEED` environment variable. */
export const DEFAULT_SEED = 0x5eed;

function envSeed(): number | undefined {
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.VIOMMU_SEED;
  return raw !== undefined && raw !== '' ? Number(raw) : undefined;
}

/** A deterministic PRNG (mulberry32) for scenario construction. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds a scenario in fresh host memory. */
export function buildScenario(
  options: ConformanceOptions,
  seed: number,
): {
  /** What `options.createScenario` built in fresh host memory, its random choices seeded by `seed`. */
  scenario: Scenario;
  /** The memory (tracing disabled until the caller enables it), sparse store and seeded random source it used. */
  env: ScenarioEnv;
} {
  const sparse = new SparseMemory();
  const memory = new TracingMemory(sparse);
  memory.enabled = false;
  const env: ScenarioEnv = { memory, sparse, random: seededRandom(seed) };
  return { scenario: options.createScenario(env), env };
}

const garbageArb = fc.array(
  fc.record({ offset: fc.nat({ max: 1 << 24 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  { maxLength: 24 },
);

function requestArb(s: Scenario): fc.Arbitrary<DmaRequest> {
  const pasidBits = s.iommu.capabilities.pasidBits;
  const pasid = fc.oneof(
    fc.constantFrom(...(s.pasids.length ? s.pasids : [undefined])),
    fc.option(fc.nat({ max: 2 ** pasidBits - 1 }), { nil: undefined }),
  );
  const mapped = s.mappings.length ? fc.constantFrom(...s.mappings.map((m) => m.gva)) : fc.constant(0);
  const address = fc.oneof(
    fc.tuple(mapped, fc.nat({ max: 0x3fff })).map(([g, o]) => g + o),
    fc.nat({ max: 2 ** 48 - 1 }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  );
  const access = fc.constantFrom(Access.READ, Access.WRITE, Access.EXEC, Access.READ | Access.PRIV, Access.WRITE | Access.PRIV, Access.EXEC | Access.PRIV);
  return fc.record({ device: fc.constant(s.device), pasid, address, access });
}

const coherenceOpArb: fc.Arbitrary<CoherenceOp> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), mapping: fc.nat(), slot: fc.nat({ max: 15 }), write: fc.boolean() }),
  fc.record({ op: fc.constant('unmap' as const), mapping: fc.nat() }),
  fc.record({
    op: fc.constant('translate' as const),
    mapping: fc.nat(),
    offset: fc.nat(),
    access: fc.constantFrom(Access.READ, Access.WRITE, Access.READ | Access.PRIV),
  }),
);

function snapshot(s: Scenario): string[] {
  return sampleRequests(s).map((r) => describeResult(s.iommu.translate(r, { uncached: true })));
}

function sameFault(a: GenericFault, b: GenericFault): boolean {
  return (
    a.reason === b.reason &&
    a.pasid === b.pasid &&
    a.addr === b.addr &&
    a.perm === b.perm &&
    a.fetchAddr === b.fetchAddr &&
    a.vendor.name === b.vendor.name &&
    a.vendor.code === b.vendor.code &&
    a.vendor.record.length === b.vendor.record.length &&
    a.vendor.record.every((w, i) => w === b.vendor.record[i])
  );
}

/** Generates the conformance tests for a vendor plugin. */
export function runConformanceSuite(options: ConformanceOptions): void {
  const seed = options.seed ?? envSeed() ?? DEFAULT_SEED;
  const numRuns = options.numRuns ?? 60;
  const params = { seed, numRuns, verbose: 1 as const };
  const fresh = () => buildScenario(options, seed);

  describe(`${options.name} conformance (seed ${seed})`, () => {
    it('a bound guest translates its mappings', () => {
      const { scenario: s } = fresh();
      s.iommu.bindPasidTable(s.domain, s.device, s.config);
      for (const m of s.mappings) {
        const r = s.iommu.translate({ device: s.device, pasid: m.pasid, address: m.gva, access: Access.READ });
        expect(r.ok, `${describeResult(r)} for pasid ${m.pasid} gva 0x${m.gva.toString(16)}`).toBe(true);
      }
    });

    it('isolation: random guest memory never escapes the guest image or host structures', () => {
      fc.assert(
        fc.property(garbageArb, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), (garbage: GarbageWrite[], picks) => {
          const { scenario: s, env } = fresh();
          s.iommu.bindPasidTable(s.domain, s.device, s.config);
          const reqs = fc.sample(requestArb(s), { seed: picks[0]!, numRuns: picks.length });
          const problems = checkIsolation(s, env, garbage, reqs);
          expect(problems).toEqual([]);
        }),
        params,
      );
    });

    it('coherence: after each completed invalidation the cached answer equals the uncached one', () => {
      fc.assert(
        fc.property(fc.array(coherenceOpArb, { minLength: 1, maxLength: 30 }), (ops) => {
          const { scenario: s } = fresh();
          s.iommu.bindPasidTable(s.domain, s.device, s.config);
          expect(checkCoherence(s, ops)).toEqual([]);
        }),
        params,
      );
    });

    it('bind / unbind round trips restore the previous behaviour', () => {
      const { scenario: s } = fresh();
      const before = snapshot(s);
      s.iommu.bindPasidTable(s.domain, s.device, s.config);
      const bound = snapshot(s);
      expect(bound).not.toEqual(before);
      s.iommu.unbindPasidTable(s.domain, s.device);
      expect(snapshot(s)).toEqual(before);
      s.iommu.bindPasidTable(s.domain, s.device, s.config);
      expect(snapshot(s)).toEqual(bound);
    });

    describe('every config check rejects what it must, and a rejected call changes nothing', () => {
      const cases: [string, string, (s: Scenario) => Parameters<Scenario['iommu']['bindPasidTable']>[2]][] = [
        ['model of another vendor', 'CONFIG_MODEL', (s) => ({ ...s.config, model: options.foreignModelId, vendor: undefined })],
        ['unknown version', 'CONFIG_VERSION', (s) => ({ ...s.config, version: 2 })],
        ['bytes too small', 'CONFIG_BYTES', (s) => ({ ...s.config, bytes: 16 })],
        ['pasidBits above the IOMMU', 'CONFIG_PASID_BITS', (s) => ({ ...s.config, pasidBits: s.iommu.capabilities.pasidBits + 1 })],
        ['vendor block of another vendor', 'CONFIG_VENDOR', (s) => ({ ...s.config, vendor: { model: options.foreignModelId } })],
      ];
      for (const [what, code, make] of cases) {
        it(`${what} → ${code}`, () => {
          const { scenario: s } = fresh();
          const before = snapshot(s);
          expect(errorCode(() => s.iommu.bindPasidTable(s.domain, s.device, make(s)))).toBe(code);
          expect(s.iommu.boundConfig(s.device)).toBeUndefined();
          expect(snapshot(s)).toEqual(before);
        });
      }
      it('basePtr misaligned → CONFIG_ALIGNMENT', () => {
        const { scenario: s } = fresh();
        const shift = s.iommu.capabilities.pasidTableAlignShift;
        expect(shift).toBeGreaterThan(0);
        const base = BigInt(s.config.basePtr) + (1n << BigInt(shift - 1));
        const before = snapshot(s);
        expect(errorCode(() => s.iommu.bindPasidTable(s.domain, s.device, { ...s.config, basePtr: base }))).toBe('CONFIG_ALIGNMENT');
        expect(snapshot(s)).toEqual(before);
      });
      it('a second bind while bound → BIND_ALREADY, the first stays', () => {
        const { scenario: s } = fresh();
        s.iommu.bindPasidTable(s.domain, s.device, s.config);
        const bound = snapshot(s);
        expect(errorCode(() => s.iommu.bindPasidTable(s.domain, s.device, s.config))).toBe('BIND_ALREADY');
        expect(snapshot(s)).toEqual(bound);
      });
    });

    it('records: every fault converts to the generic fault and back to its vendor record', () => {
      fc.assert(
        fc.property(garbageArb, fc.nat(), (garbage, pick) => {
          const { scenario: s, env } = fresh();
          s.iommu.bindPasidTable(s.domain, s.device, s.config);
          for (const g of garbage) s.guestMemory.writeBytes(s.guestRam.base + Math.min(g.offset, s.guestRam.size - g.bytes.length), g.bytes);
          void env;
          const reqs = [...sampleRequests(s), ...fc.sample(requestArb(s), { seed: pick, numRuns: 8 })];
          for (const req of reqs) {
            const r = s.iommu.translate(req);
            if (r.ok) continue;
            const record = s.iommu.vendor.faultToRecord(r.fault);
            expect(Array.from(record)).toEqual(Array.from(r.fault.vendor.record));
            const back = s.iommu.vendor.recordToFault(record);
            expect(sameFault(back, r.fault), `${JSON.stringify(back, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`).toBe(true);
          }
        }),
        { ...params, numRuns: Math.max(10, Math.floor(numRuns / 3)) },
      );
    });
  });
}
