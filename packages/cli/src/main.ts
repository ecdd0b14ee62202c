import { isIommuError } from '@viommu/core';
import { decodeHelp, runDecode } from './commands/decode';
import { demoHelp, runDemo } from './commands/demo';
import { runTranslate, translateHelp } from './commands/translate';
import { CliError } from './errors';
import type { CliIo } from './io';
import { VERSION } from './version';

/** One command of the CLI. */
export interface Command {
  /** One line for the top-level help. */
  summary: string;
  /** The command's `--help` text. */
  help(): string;
  /** Runs the command; resolves to the exit status. */
  run(argv: string[], io: CliIo): number | Promise<number>;
}

/** The commands, in help order. */
export const COMMANDS: Record<string, Command> = {
  demo: { summary: 'the main job: nested translation with PASIDs on SMMUv3 and VT-d, bound through bindPasidTable', help: demoHelp, run: runDemo },
  translate: { summary: 'translate DMA requests against a memory dump and the IOMMU registers, showing every read', help: translateHelp, run: runTranslate },
  decode: { summary: 'decode a raw SMMUv3 or VT-d structure given as 64-bit words', help: decodeHelp, run: runDecode },
};

/** Top-level help. */
export function mainHelp(): string {
  return [
    `viommu ${VERSION} — IOMMU nested translation with PASIDs, bit-accurate to Intel VT-d and ARM SMMUv3`,
    '',
    'Usage: viommu <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: viommu <command> --help)',
    '  -V, --version  print the version',
  ].join('\n');
}

/** Runs the CLI. Errors in the user's input print one line on stderr and give status 2. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      io.out(mainHelp());
      return first === undefined ? 2 : 0;
    }
    if (first === '-V' || first === '--version') {
      io.out(VERSION);
      return 0;
    }
    const command = COMMANDS[first];
    if (!command) throw new CliError(`unknown command '${first}' (see viommu --help)`);
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(e.line());
      return 2;
    }
    if (isIommuError(e)) {
      io.err(`viommu: ${e.message}`);
      return 2;
    }
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`viommu: ${(e as Error).message}`);
      return 2;
    }
    io.err(`viommu: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
