/**
 * `viommu decode` as a user runs it: the CLI entry (src/cli.ts) bundled once with esbuild into a temporary
 * directory — workspace packages taken from their sources, so no prior build of any package is needed and the
 * package's own dist/ is left alone for the build and check-package targets — then run with node.
 */
import { describe, expect, it } from 'vitest';
import { DECODABLES } from '../src/decode/index';
import { expectUsageError, useBundledCli } from './support/cli';

const cli = useBundledCli('decode');

function viommu(...args: string[]) {
  return cli.run(args);
}

describe('viommu decode', () => {
  it('ste 0x4306200b 0x2 --json: a valid stage-1 STE, addresses as 0x strings', () => {
    const r = viommu('decode', 'ste', '0x4306200b', '0x2', '--json');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { structure: string; fields: Record<string, unknown>; meanings: Record<string, string>; valid: boolean; problems: string[]; reserved: unknown[] };
    expect(out.structure).toBe('STE');
    expect(out.fields).toMatchObject({ V: 1, Config: 5, S1ContextPtr: '0x43062000', S1DSS: 2, S2TTB: '0x0' });
    expect(out.meanings.S1DSS).toBe('substream 0');
    expect(out.valid).toBe(true);
    expect(out.problems).toEqual([]);
    expect(out.reserved).toEqual([]);
  });

  it('without --json: one field per line and the verdict; 0x is optional', () => {
    const r = viommu('decode', 'ste', '4306200b', '2');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('STE');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}S1ContextPtr +0x43062000$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}S1DSS +2 {2}\(substream 0\)$/));
    expect(lines.at(-1)).toBe('  valid');
  });

  it('an invalid entry lists the reserved bits and why', () => {
    const r = viommu('decode', 'fl-entry', '0x12345087', '--level', '4');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('reserved bits set:');
    expect(r.stdout).toContain('[7:7] = 0x1');
    expect(r.stdout).toMatch(/INVALID: fault 0x72 SM_FL_ENTRY_RESERVED/);
  });

  it('qi-descriptor: 128-bit from two words, 256-bit from four', () => {
    const small = JSON.parse(viommu('decode', 'qi-descriptor', '0x100f2', '0x7040', '--json').stdout) as { structure: string };
    expect(small.structure).toBe('iotlb_inv_dsc (128-bit)');
    const big = JSON.parse(viommu('decode', 'qi-descriptor', '0x100000025', '0x3000', '0', '0', '--json').stdout) as { structure: string; valid: boolean };
    expect(big).toMatchObject({ structure: 'inv_wait_dsc (256-bit)', valid: true });
  });

  it('--help lists every structure', () => {
    const r = viommu('decode', '--help');
    expect(r.status).toBe(0);
    for (const d of DECODABLES) expect(r.stdout).toMatch(new RegExp(`^ {2}${d.name} +${d.vendor} `, 'm'));
    for (const name of ['ste', 'cd', 'l1std', 'l1cd', 'event', 'command', 'root-entry', 'context-entry', 'sm-context-entry', 'pasid-dir-entry', 'pasid-entry', 'fl-entry', 'sl-entry', 'fault-record', 'qi-descriptor']) {
      expect(DECODABLES.map((d) => d.name)).toContain(name);
    }
  });

  it('exit status 2 with a one-line message for bad input', () => {
    expectUsageError(viommu('decode', 'stee', '0x1'), /unknown structure 'stee'/);
    expectUsageError(viommu('decode', 'ste', '0xzz'), /bad hex value '0xzz'/);
    expectUsageError(viommu('decode', 'ste', '0x1_0000_0000_0000_0000'), /does not fit in 64 bits/);
    expectUsageError(viommu('decode', 'pasid-dir-entry', '0x1', '0x2'), /pasid-dir-entry has 1 64-bit word\(s\), got 2/);
    expectUsageError(viommu('decode', 'ste', '0x1', '--bogus'), /--bogus/);
    expectUsageError(viommu('decode', 'fl-entry', '0x1', '--level', '6'), /--level 6: fl-entry takes a level in 1, 2, 3, 4, 5/);
    expectUsageError(viommu('decode', 'ste', '0x1', '--level', '1'), /ste takes no level/);
    expectUsageError(viommu('decode', 'ste'), /give ste's 64-bit words/);
  });
});
