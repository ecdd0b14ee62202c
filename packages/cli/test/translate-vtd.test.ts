import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { elfCoreFromMemory } from '../../core/test/support/elf-writer';
import { toHex } from '../src/hex';
import { permString } from '../src/translate/outcome';
import { expectUsageError, useBundledCli } from './support/cli';
import { buildLegacyVtdHost, buildScalableVtdHost, VTD_SID } from './support/vtd-host';

const cli = useBundledCli('translate-vtd');

type Host = ReturnType<typeof buildScalableVtdHost>;

function flags(host: Host): string[] {
  return ['translate', '--iommu', 'vtd', '--rtaddr', toHex(host.registers.rtaddr), '--cap', toHex(host.registers.cap), '--ecap', toHex(host.registers.ecap)];
}

function files(host: Host, name: string) {
  const elf = join(cli.dir(), `${name}.elf`);
  const raw = join(cli.dir(), `${name}.raw`);
  writeFileSync(elf, elfCoreFromMemory(host.memory));
  writeFileSync(raw, host.memory.readBytes(host.rawBase, host.rawSize)!);
  return { elf, raw };
}

function lines(host: Host): string {
  return host.requests.map((q) => JSON.stringify({ sid: q.sid, pasid: q.pasid ?? null, iova: toHex(q.iova), access: q.access, privileged: q.privileged })).join('\n');
}

function expectMatchesLibrary(host: Host, out: string): { ok: number; faults: Set<string> } {
  const got = out.trim().split('\n').map((l) => JSON.parse(l));
  expect(got).toHaveLength(host.requests.length);
  const faults = new Set<string>();
  let ok = 0;
  host.requests.forEach((q, i) => {
    const want = host.answer(q);
    if (want.ok) {
      ok++;
      expect(got[i], `request ${i}`).toMatchObject({ ok: true, pa: toHex(want.output), pageSize: 2 ** want.pageShift, perm: permString(want.permitted, q.privileged) });
    } else {
      faults.add(want.name);
      expect(got[i].ok, `request ${i}`).toBe(false);
      expect(got[i].fault, `request ${i}`).toMatchObject({ name: want.name, code: want.reason, reason: want.reason });
    }
  });
  return { ok, faults };
}

describe('viommu translate --iommu vtd', () => {
  for (const [mode, build] of [['scalable (nested)', buildScalableVtdHost], ['legacy', buildLegacyVtdHost]] as const) {
    it(`${mode}: answers like the library on ELF and raw dumps`, () => {
      const host = build();
      const { elf, raw } = files(host, mode.split(' ')[0]!);
      const fromElf = cli.run([...flags(host), '--dump', elf, '--requests', '-', '--json'], lines(host));
      expect(fromElf.stderr).toBe('');
      expect(fromElf.status).toBe(0);
      const seen = expectMatchesLibrary(host, fromElf.stdout);
      expect(seen.ok).toBeGreaterThanOrEqual(3);
      expect(seen.faults.size).toBeGreaterThanOrEqual(2);
      const fromRaw = cli.run([...flags(host), '--dump', raw, '--raw-base', toHex(host.rawBase), '--requests', '-', '--json'], lines(host));
      expect(fromRaw.status).toBe(0);
      expect(fromRaw.stdout).toBe(fromElf.stdout);
    });
  }

  it('--svg draws the nested walk as well-formed XML with one cell per read', () => {
    const host = buildScalableVtdHost();
    const { elf } = files(host, 'svg');
    const svg = join(cli.dir(), 'walk.svg');
    const r = cli.run([...flags(host), '--dump', elf, '--sid', String(VTD_SID), '--pasid', '3', '--iova', '0x7f000010', '--svg', svg]);
    expect(r.status).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(text);
    const cells = ([] as unknown[]).concat(doc.svg.g).filter((g) => (g as Record<string, string>)['@_class'] === 'cell');
    // The text trace numbers each read once: the SVG has exactly one cell per numbered line.
    const reads = r.stdout.split('\n').filter((l) => /^\s+\d+\. /.test(l)).length;
    expect(reads).toBeGreaterThan(10);
    expect(cells).toHaveLength(reads);
    const json = cli.run([...flags(host), '--dump', elf, '--sid', String(VTD_SID), '--pasid', '3', '--iova', '0x7f000010', '--json']);
    expect(JSON.parse(json.stdout).reads).toBe(reads);
  });

  describe('--requests: a bad line yields an error object, the rest go on, exit 2', () => {
    const bad: [string, RegExp][] = [
      ['{"sid": 920, "iova": "0x1000"', /malformed JSON/],
      ['{"sid": 920, "iova": "0x1000", "colour": "blue"}', /unknown field 'colour'/],
      ['{"sid": 920, "iova": "0x1ffffffffffffffff"}', /does not fit in 64 bits/],
      ['{"sid": 920, "iova": 18446744073709551616}', /beyond 2\^53/],
      ['{"sid": -1, "iova": "0x1000"}', /must not be negative/],
      ['{"sid": 920, "iova": -4096}', /must not be negative/],
      ['{"sid": 920, "pasid": 1048576, "iova": "0x1000"}', /beyond its maximum/],
      ['{"sid": 920, "iova": "0x1000", "access": "fetch"}', /"read", "write" or "exec"/],
      ['[1, 2]', /must be a JSON object/],
      ['{"iova": "0x1000"}', /missing field 'sid'/],
    ];
    it.each(bad)('%s', (line, message) => {
      const host = buildScalableVtdHost();
      const { elf } = files(host, 'bad');
      const good = JSON.stringify({ sid: VTD_SID, pasid: null, iova: '0x100008', access: 'read', privileged: false });
      const r = cli.run([...flags(host), '--dump', elf, '--requests', '-', '--json'], [good, line, good].join('\n'));
      expect(r.status).toBe(2);
      const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(out).toHaveLength(3);
      expect(out[0].ok).toBe(true);
      expect(out[1]).toMatchObject({ ok: false, error: { line: 2 } });
      expect(out[1].error.message).toMatch(message);
      expect(out[2]).toEqual(out[0]);
      const err = r.stderr.trim().split('\n');
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^viommu: stdin:2: /);
    });
  });

  it('bad dumps and register combinations exit 2 with one line naming the problem', () => {
    const host = buildScalableVtdHost();
    const truncated = join(cli.dir(), 'truncated.elf');
    writeFileSync(truncated, elfCoreFromMemory(host.memory).subarray(0, 100));
    expectUsageError(cli.run([...flags(host), '--dump', truncated, '--sid', '1', '--iova', '0']), /truncated\.elf: .*(truncated|past the end)/i);
    const notElf = join(cli.dir(), 'not.elf');
    writeFileSync(notElf, 'hello world, not an ELF file at all');
    expectUsageError(cli.run([...flags(host), '--dump', notElf, '--sid', '1', '--iova', '0']), /not\.elf: not an ELF file/);
    expectUsageError(cli.run(['translate', '--iommu', 'vtd', '--dump', notElf, '--sid', '1', '--iova', '0']), /needs --rtaddr/);
    expectUsageError(cli.run([...flags(host), '--strtab-base', '0x0', '--dump', notElf, '--sid', '1', '--iova', '0']), /--strtab-base does not apply/);
    expectUsageError(cli.run([...flags(host), '--dump', notElf, '--requests', '-', '--sid', '1']), /cannot be combined with --requests/);
    expectUsageError(cli.run(['translate', '--iommu', 'amd', '--dump', notElf]), /unknown --iommu 'amd'/);
  });
});
