import { describe, expect, it } from 'vitest';
import { expectUsageError, useBundledCli } from './support/cli';

const cli = useBundledCli('demo');

interface Report {
  vendor: string;
  refused: { code: string; config: { model: number } };
  bind: { config: { model: number; version: number; bytes: number; basePtr: string; pasidBits: number } };
  requests: { request: { pasid?: number }; result: { ok: boolean; pa?: string; reads?: number }; trace: { stage: number }[] }[];
  faults: { result: { ok: boolean; fault: { name: string; code: number }; record?: { fields: Record<string, unknown> } } }[];
}

describe('viommu demo', () => {
  it('runs both vendors, shows the refused bind, DMA with and without PASID, and the faults (text)', () => {
    const r = cli.run(['demo']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ARM SMMUv3');
    expect(r.stdout).toContain('Intel VT-d');
    expect(r.stdout.match(/→ CONFIG_MODEL: /g)).toHaveLength(2);
    expect(r.stdout).toMatch(/Config 111 \(nested\)/);
    expect(r.stdout).toMatch(/S1DSS 2 \(substream0/);
    for (const name of ['F_TRANSLATION', 'F_PERMISSION', 'F_STREAM_DISABLED', 'C_BAD_SUBSTREAMID', 'C_BAD_CD', 'SM_FL_ENTRY_NOT_PRESENT', 'SM_SRE_CLEAR', 'SM_NON_CANONICAL']) {
      expect(r.stdout).toContain(name);
    }
    // The 2-D walk is printed: stage-2 reads serving stage-1 table fetches.
    expect(r.stdout).toMatch(/stage 2 L\d +PA 0x[0-9a-f]+ = 0x[0-9a-f]+ for the stage-1 table fetch at depth 0/);
    expect(r.stdout.includes(String.fromCharCode(27))).toBe(false); // no colour when stdout is not a terminal
  });

  it('--json is one document with every vendor, request and fault', () => {
    const r = cli.run(['demo', '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { vendors: Report[] };
    expect(doc.vendors.map((v) => v.vendor)).toEqual(['arm-smmuv3', 'intel-vtd']);
    for (const v of doc.vendors) {
      expect(v.refused.code).toBe('CONFIG_MODEL');
      expect(v.refused.config.model).not.toBe(v.bind.config.model);
      expect(v.bind.config).toMatchObject({ version: 1, bytes: 32 });
      expect(v.requests.every((q) => q.result.ok)).toBe(true);
      expect(v.requests.some((q) => q.request.pasid === undefined)).toBe(true);
      expect(v.requests.some((q) => q.request.pasid !== undefined)).toBe(true);
      // Nested walks: stage-1 descriptors, and stage-2 reads both for table fetches and the output.
      for (const q of v.requests) {
        expect(q.trace.some((t) => t.stage === 1)).toBe(true);
        expect(q.trace.some((t) => t.stage === 2)).toBe(true);
        expect(q.result.reads).toBeGreaterThan(5);
      }
      expect(v.faults.length).toBeGreaterThanOrEqual(6);
      expect(v.faults.every((f) => !f.result.ok && f.result.record)).toBe(true);
    }
    const smmuFaults = doc.vendors[0]!.faults.map((f) => f.result.fault);
    const tableFetch = doc.vendors[0]!.faults.find((f) => f.result.record?.fields.CLASS === 1);
    expect(tableFetch?.result.record?.fields.S2).toBe(1);
    expect(new Set(smmuFaults.map((f) => f.name)).size).toBeGreaterThanOrEqual(5);
  });

  it('--vendor picks one, and bad options exit 2 with one line', () => {
    const r = cli.run(['demo', '--vendor', 'vtd', '--json']);
    expect(JSON.parse(r.stdout).vendors.map((v: Report) => v.vendor)).toEqual(['intel-vtd']);
    expectUsageError(cli.run(['demo', '--vendor', 'amd']), /unknown vendor 'amd'/);
    expectUsageError(cli.run(['demo', '--colour']), /Unknown option '--colour'/);
  });
});
