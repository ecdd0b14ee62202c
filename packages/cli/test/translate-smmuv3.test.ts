import { readFileSync, writeFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elfCoreFromMemory } from '../../core/test/support/elf-writer';
import { toHex } from '../src/hex';
import { permString } from '../src/translate/outcome';
import { expectUsageError, useBundledCli } from './support/cli';
import { buildSmmuHost, SMMU_SID } from './support/smmu-host';

const cli = useBundledCli('translate-smmu');
const host = buildSmmuHost();
const regFlags = [
  'translate',
  '--iommu', 'smmuv3',
  '--strtab-base', toHex(host.registers.strtabBase),
  '--strtab-base-cfg', toHex(host.registers.strtabBaseCfg),
  '--idr0', toHex(host.registers.idr0),
  '--idr1', toHex(host.registers.idr1),
  '--idr5', toHex(host.registers.idr5),
];

function dumps() {
  const elf = join(cli.dir(), 'smmu.elf');
  const raw = join(cli.dir(), 'smmu.raw');
  writeFileSync(elf, elfCoreFromMemory(host.memory));
  writeFileSync(raw, host.memory.readBytes(host.rawBase, host.rawSize)!);
  return { elf, raw };
}

const requestLines = host.requests.map((q) =>
  JSON.stringify({ sid: q.sid, ssid: q.pasid ?? null, iova: toHex(q.iova), access: q.access, privileged: q.privileged }),
);

function expectMatchesLibrary(lines: string[]): void {
  expect(lines).toHaveLength(host.requests.length);
  host.requests.forEach((q, i) => {
    const got = JSON.parse(lines[i]!);
    const want = host.answer(q);
    if (want.ok) {
      expect(got, `request ${i}`).toMatchObject({ ok: true, pa: toHex(want.output), pageSize: 2 ** want.pageShift, perm: permString(want.permitted, q.privileged) });
      expect(got.reads).toBeGreaterThan(0);
    } else {
      expect(got.ok, `request ${i}`).toBe(false);
      expect(got.fault.name).toBe(want.event?.name ?? 'ABORT');
      expect(got.fault.code).toBe(want.event?.code ?? 0);
    }
  });
}

describe('viommu translate --iommu smmuv3', () => {
  it('answers like the library on an ELF core dump (JSON Lines in and out)', () => {
    const { elf } = dumps();
    const r = cli.run([...regFlags, '--dump', elf, '--requests', '-', '--json'], requestLines.join('\n') + '\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expectMatchesLibrary(r.stdout.trim().split('\n'));
    // The set really exercises both outcomes.
    const outs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(outs.filter((o) => o.ok).length).toBeGreaterThanOrEqual(4);
    expect(new Set(outs.filter((o) => !o.ok).map((o) => o.fault.name)).size).toBeGreaterThanOrEqual(3);
  });

  it('answers the same on a raw image at --raw-base', () => {
    const { raw } = dumps();
    const r = cli.run([...regFlags, '--dump', raw, '--raw-base', toHex(host.rawBase), '--requests', '-', '--json'], requestLines.join('\n'));
    expect(r.status).toBe(0);
    expectMatchesLibrary(r.stdout.trim().split('\n'));
  });

  it('a single request by flags, with the stage-2 fault fields of a nested walk', () => {
    const { elf } = dumps();
    const ok = cli.run([...regFlags, '--dump', elf, '--sid', String(SMMU_SID), '--iova', '0x100008', '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, pageSize: 4096, perm: 'rw-' });
    const fault = cli.run([...regFlags, '--dump', elf, '--sid', String(SMMU_SID), '--ssid', '1', '--iova', '0x200000', '--access', 'write', '--json']);
    expect(JSON.parse(fault.stdout).fault).toMatchObject({ name: 'F_PERMISSION', code: 0x13, stage: 1, class: 'IN', address: '0x200000' });
  });

  it('prints a readable walk trace without --json, and an SVG with one cell per read', () => {
    const { elf } = dumps();
    const svg = join(cli.dir(), 'walk.svg');
    const r = cli.run([...regFlags, '--dump', elf, '--sid', String(SMMU_SID), '--ssid', '2', '--iova', '0x40123450', '--svg', svg]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/→ 0x[0-9a-f]+ {2}\(page 2097152 bytes/);
    expect(r.stdout).toMatch(/stage 1 L\d/);
    expect(r.stdout).toMatch(/stage 2 L\d .*for the stage-1 table fetch/);
    const text = readFileSync(svg, 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    const reads = r.stdout.split('\n').filter((l) => /^\s+\d+\. /.test(l)).length;
    expect(text.match(/<g class="cell"/g)).toHaveLength(reads);
  });

  it('rejects wrong register combinations and bad values with exit 2 and one line', () => {
    const { elf } = dumps();
    expectUsageError(cli.run(['translate', '--iommu', 'smmuv3', '--dump', elf, '--strtab-base', '0x1000', '--sid', '1', '--iova', '0']), /needs --strtab-base and --strtab-base-cfg/);
    expectUsageError(cli.run([...regFlags, '--rtaddr', '0x1000', '--dump', elf, '--sid', '1', '--iova', '0']), /--rtaddr does not apply/);
    expectUsageError(cli.run([...regFlags, '--dump', elf, '--sid', '1', '--iova', 'xyz']), /--iova: bad hex/);
    expectUsageError(cli.run([...regFlags, '--dump', elf, '--sid', '1', '--iova', '0x1', '--bogus']), /Unknown option '--bogus'/);
    expectUsageError(cli.run([...regFlags, '--dump', join(cli.dir(), 'missing.elf'), '--sid', '1', '--iova', '0']), /missing\.elf: no such file/);
  });
});
