import { parseArgs } from 'node:util';
import { renderDemo } from '../demo/render';
import { jsonSafe, type DemoVendorReport } from '../demo/report';
import { runSmmuv3Demo } from '../demo/smmuv3';
import { runVtdDemo } from '../demo/vtd';
import { CliError } from '../errors';
import type { CliIo } from '../io';

const VENDORS: Record<string, () => DemoVendorReport> = {
  smmuv3: runSmmuv3Demo,
  vtd: runVtdDemo,
};

/** `viommu demo --help`. */
export function demoHelp(): string {
  return `Usage: viommu demo [--vendor smmuv3|vtd|all] [--json] [--no-color]

Builds a host with an IOMMU of each vendor, a nesting domain per device with stage-2 mappings, and a guest that
writes its own PASID / CD tables and page tables into guest memory; binds them with bindPasidTable (showing a
config of the wrong model refused); then runs DMA with and without a PASID, printing each result and its 2-D
walk (which stage read which address at which level), and one fault of each kind with its record decoded.

  --vendor V   smmuv3, vtd or all (default all)
  --json       one JSON document for machines
  --no-color   plain text even on a terminal`;
}

/** Runs `viommu demo`. */
export function runDemo(argv: string[], io: CliIo): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      vendor: { type: 'string', default: 'all' },
      json: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(demoHelp());
    return 0;
  }
  const names = values.vendor === 'all' ? Object.keys(VENDORS) : [values.vendor];
  for (const n of names) if (!VENDORS[n]) throw new CliError(`unknown vendor '${n}' (${[...Object.keys(VENDORS), 'all'].join(', ')})`, '--vendor');
  const reports = names.map((n) => VENDORS[n]!());
  if (values.json) io.out(JSON.stringify(jsonSafe({ vendors: reports })));
  else io.out(renderDemo(reports, io.colour && !values['no-color']));
  return 0;
}
