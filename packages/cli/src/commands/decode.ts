import { parseArgs } from 'node:util';
import { wordsFromU64s } from '@viommu/core';
import { DECODABLES } from '../decode/index';
import type { DecodedStructure } from '../decodable';
import { CliError } from '../errors';
import { parseHex } from '../hex';
import type { CliIo } from '../io';
import { painter } from '../render/trace-text';

/** `viommu decode --help`. */
export function decodeHelp(): string {
  const rows = DECODABLES.map((d) => `  ${d.name.padEnd(22)} ${d.vendor.padEnd(7)} ${d.summary}`);
  return [
    'Usage: viommu decode <structure> <hex64…> [--json] [--level N]',
    '',
    "Decodes a raw structure given as its 64-bit little-endian words, lowest first, as drivers print them",
    "('0x' optional; missing trailing words are zero): every field by its architectural name, the reserved bits",
    'that are set, and whether the structure is valid. --level N picks the paging level of fl-entry/sl-entry.',
    '',
    'Structures:',
    ...rows,
    '',
    'Example: viommu decode ste 0x4306200b 0x2',
  ].join('\n');
}

/** Runs `viommu decode`. */
export function runDecode(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, level: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(decodeHelp());
    return 0;
  }
  const [name, ...hexWords] = positionals;
  if (!name) throw new CliError('missing structure name (see viommu decode --help)', 'decode');
  const d = DECODABLES.find((x) => x.name === name);
  if (!d) throw new CliError(`unknown structure '${name}' (one of: ${DECODABLES.map((x) => x.name).join(', ')})`, 'decode');
  if (hexWords.length === 0) throw new CliError(`give ${name}'s 64-bit words in hex, lowest first`, 'decode');
  if (hexWords.length > d.words64) throw new CliError(`${name} has ${d.words64} 64-bit word(s), got ${hexWords.length}`, 'decode');
  let level: number | undefined;
  if (values.level !== undefined) {
    level = Number(values.level);
    if (!d.levels?.includes(level)) throw new CliError(`--level ${values.level}: ${name} takes ${d.levels ? `a level in ${d.levels.join(', ')}` : 'no level'}`, 'decode');
  }
  const words = wordsFromU64s(hexWords.map((w, i) => parseHex(w, `word ${i}`)), d.words64 * 64);
  const decoded = d.decode(words, { givenWords64: hexWords.length, level });
  if (values.json) io.out(JSON.stringify(decoded));
  else io.out(renderDecoded(decoded, painter(io.colour)));
  return 0;
}

/** Human-readable rendering: one field per line, enumerations named, then reserved bits and the verdict. */
export function renderDecoded(d: DecodedStructure, paint: ReturnType<typeof painter>): string {
  const width = Math.max(...Object.keys(d.fields).map((k) => k.length), 8);
  const lines = [`${d.structure}`];
  for (const [k, v] of Object.entries(d.fields)) {
    const meaning = d.meanings[k] ? paint.dim(`  (${d.meanings[k]})`) : '';
    lines.push(`  ${k.padEnd(width)}  ${String(v)}${meaning}`);
  }
  if (d.reserved.length) {
    lines.push(paint.bad('  reserved bits set:'));
    for (const r of d.reserved) lines.push(`    [${r.bits}] = ${r.value}`);
  }
  lines.push(d.valid ? paint.ok('  valid') : paint.bad(`  INVALID: ${d.problems.join('; ')}`));
  return lines.join('\n');
}
