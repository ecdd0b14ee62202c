import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isIommuError, loadElfCore, loadRawImage, type PhysicalMemory, type TraceEntry } from '@viommu/core';
import { CliError } from '../errors';
import { parseHex, toHex } from '../hex';
import type { CliIo } from '../io';
import { readLines, writeLine } from '../jsonl';
import { Progress } from '../progress';
import { renderWalkSvg } from '../render/svg';
import { painter, renderTraceLines } from '../render/trace-text';
import type { TranslateBackend } from '../translate/backend';
import type { TranslateJson } from '../translate/outcome';
import { parseRequestLine, type CliRequest } from '../translate/request';
import { smmuv3Backend } from '../translate/smmuv3';
import { vtdBackend } from '../translate/vtd';

const OPTIONS = {
  iommu: { type: 'string' },
  dump: { type: 'string' },
  'raw-base': { type: 'string' },
  'strtab-base': { type: 'string' },
  'strtab-base-cfg': { type: 'string' },
  idr0: { type: 'string' },
  idr1: { type: 'string' },
  idr5: { type: 'string' },
  rtaddr: { type: 'string' },
  cap: { type: 'string' },
  ecap: { type: 'string' },
  requests: { type: 'string' },
  sid: { type: 'string' },
  ssid: { type: 'string' },
  pasid: { type: 'string' },
  iova: { type: 'string' },
  access: { type: 'string' },
  privileged: { type: 'boolean' },
  json: { type: 'boolean' },
  svg: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `viommu translate --help`. */
export function translateHelp(): string {
  return `Usage:
  viommu translate --iommu smmuv3 --dump FILE [--raw-base HEX] --strtab-base HEX --strtab-base-cfg HEX
                   [--idr0 HEX --idr1 HEX --idr5 HEX] (REQUEST | --requests FILE|-) [--json] [--svg FILE]
  viommu translate --iommu vtd --dump FILE [--raw-base HEX] --rtaddr HEX [--cap HEX --ecap HEX]
                   (REQUEST | --requests FILE|-) [--json] [--svg FILE]

Translates DMA requests against a guest-physical memory dump and the IOMMU's registers, as the hardware
would, showing every descriptor read.

Memory:
  --dump FILE          an ELF64 core (QEMU dump-guest-memory: PT_LOAD segments at p_paddr), or with
  --raw-base HEX       a raw image (QEMU pmemsave) placed at that address

One request by flags (REQUEST):
  --sid N              SMMUv3 StreamID, or VT-d requester id (bus << 8 | devfn); decimal or 0x hex
  --ssid N | --pasid N SMMUv3 SubstreamID / VT-d PASID (omit for a request without one)
  --iova HEX           input address (up to 64 bits)
  --access KIND        read (default), write or exec
  --privileged         a privileged (SMMUv3 PnU) / supervisor (VT-d) request

Many requests:
  --requests FILE|-    JSON Lines, one request per line:
                       SMMUv3 {"sid":N,"ssid":N|null,"iova":"0x…","access":"read|write|exec","privileged":bool}
                       VT-d   {"sid":N,"pasid":N|null,"iova":"0x…","access":…,"privileged":bool}
                       Output is one line per request, in order; a bad line yields an error object and the
                       rest go on (exit status 2 at the end).

Output:
  --json               {"ok":true,"pa":"0x…","pageSize":N,"perm":"rw-","reads":N} or
                       {"ok":false,"fault":{"name":"F_TRANSLATION","code":16,"stage":1,…}}
                       (reads counts descriptor and configuration-structure fetches)
                       Without --json, a readable walk trace per request.
  --svg FILE           draw the nested walk of a single request as a 2-D grid`;
}

function number(text: string | undefined, what: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  const v = /^0x/i.test(text) ? parseHex(text, what) : /^\d+$/.test(text) ? BigInt(text) : undefined;
  if (v === undefined) throw new CliError(`'${text}' is not a number`, what);
  if (v > BigInt(max)) throw new CliError(`${text} is beyond ${max}`, what);
  return Number(v);
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false; strict: true }>>['values'];

/** Dumps at least this big announce their loading on a terminal. */
const BIG_DUMP_BYTES = 64 * 1024 * 1024;

function loadMemory(values: Values, io: CliIo): PhysicalMemory {
  const file = values.dump;
  if (!file) throw new CliError('--dump FILE is required', 'translate');
  let bytes: Uint8Array;
  let announced = false;
  try {
    const size = statSync(file).size;
    if (io.stderr.isTTY && size >= BIG_DUMP_BYTES) {
      io.stderr.write(`loading ${file} (${Math.round(size / 2 ** 20)} MiB)…`);
      announced = true;
    }
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message, file);
  }
  try {
    if (values['raw-base'] !== undefined) return loadRawImage(bytes, parseHex(values['raw-base'], '--raw-base')).memory;
    return loadElfCore(bytes).memory;
  } catch (e) {
    if (isIommuError(e)) throw new CliError(e.message, file);
    throw e;
  } finally {
    if (announced) io.stderr.write('\r\x1b[K');
  }
}

/** Checks the vendor and its register flags before any file is read. */
function checkFlags(values: Values): 'smmuv3' | 'vtd' {
  const forbid = (names: (keyof Values)[], vendor: string) => {
    for (const n of names) if (values[n] !== undefined) throw new CliError(`--${String(n)} does not apply to --iommu ${vendor}`, 'translate');
  };
  if (values.iommu === 'smmuv3') {
    forbid(['rtaddr', 'cap', 'ecap', 'pasid'], 'smmuv3');
    if (values['strtab-base'] === undefined || values['strtab-base-cfg'] === undefined) {
      throw new CliError('--iommu smmuv3 needs --strtab-base and --strtab-base-cfg', 'translate');
    }
    return 'smmuv3';
  }
  if (values.iommu === 'vtd') {
    forbid(['strtab-base', 'strtab-base-cfg', 'idr0', 'idr1', 'idr5', 'ssid'], 'vtd');
    if (values.rtaddr === undefined) throw new CliError('--iommu vtd needs --rtaddr', 'translate');
    return 'vtd';
  }
  throw new CliError(values.iommu === undefined ? '--iommu smmuv3|vtd is required' : `unknown --iommu '${values.iommu}' (smmuv3 or vtd)`, 'translate');
}

function hexFlag(values: Values, name: keyof Values, bits = 64): bigint | undefined {
  const v = values[name];
  return v === undefined ? undefined : parseHex(String(v), `--${String(name)}`, bits);
}

function backendFor(vendor: 'smmuv3' | 'vtd', values: Values, memory: PhysicalMemory): TranslateBackend {
  if (vendor === 'smmuv3') {
    return smmuv3Backend(memory, {
      strtabBase: hexFlag(values, 'strtab-base')!,
      strtabBaseCfg: hexFlag(values, 'strtab-base-cfg', 32)!,
      idr0: hexFlag(values, 'idr0', 32),
      idr1: hexFlag(values, 'idr1', 32),
      idr5: hexFlag(values, 'idr5', 32),
    });
  }
  return vtdBackend(memory, { rtaddr: hexFlag(values, 'rtaddr')!, cap: hexFlag(values, 'cap'), ecap: hexFlag(values, 'ecap') });
}

function flagRequest(values: Values, backend: TranslateBackend): CliRequest {
  if (values.sid === undefined || values.iova === undefined) throw new CliError('give --sid and --iova, or --requests FILE|-', 'translate');
  const access = values.access ?? 'read';
  if (access !== 'read' && access !== 'write' && access !== 'exec') throw new CliError(`'${access}' is not read, write or exec`, '--access');
  const pasidText = backend.schema.pasidField === 'ssid' ? values.ssid : values.pasid;
  return {
    sid: number(values.sid, '--sid', backend.schema.maxSid)!,
    pasid: number(pasidText, `--${backend.schema.pasidField}`, 0xf_ffff),
    iova: parseHex(values.iova, '--iova'),
    access,
    privileged: values.privileged ?? false,
  };
}

function describeRequest(req: CliRequest, pasidField: string): string {
  const p = req.pasid === undefined ? 'no PASID' : `${pasidField} ${req.pasid}`;
  return `sid 0x${req.sid.toString(16)}, ${p}, ${req.access}${req.privileged ? ' (privileged)' : ''} at ${toHex(req.iova)}`;
}

function renderText(req: CliRequest, out: TranslateJson, trace: readonly TraceEntry[], io: CliIo, pasidField: string): string {
  const paint = painter(io.colour);
  const head = out.ok
    ? `${describeRequest(req, pasidField)} → ${paint.ok(out.pa)}  (page ${out.pageSize} bytes, ${out.perm}, ${out.reads} reads)`
    : `${describeRequest(req, pasidField)} → ${paint.bad(String(out.fault.name))} ${JSON.stringify(out.fault)}`;
  return [head, ...renderTraceLines(trace, paint).map((l) => `  ${l}`)].join('\n');
}

/** Runs `viommu translate`. */
export async function runTranslate(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
  if (values.help) {
    io.out(translateHelp());
    return 0;
  }
  const vendor = checkFlags(values);
  // Parse every register value before reading the dump, so a typo fails fast.
  for (const name of ['strtab-base', 'rtaddr', 'cap', 'ecap'] as const) hexFlag(values, name);
  for (const name of ['strtab-base-cfg', 'idr0', 'idr1', 'idr5'] as const) hexFlag(values, name, 32);
  if (values.requests !== undefined) {
    for (const single of ['sid', 'ssid', 'pasid', 'iova', 'access', 'privileged', 'svg'] as const) {
      if (values[single] !== undefined) throw new CliError(`--${single} cannot be combined with --requests`, 'translate');
    }
  }
  const memory = loadMemory(values, io);
  const backend = backendFor(vendor, values, memory);
  if (values.requests === undefined) {
    const req = flagRequest(values, backend);
    const trace: TraceEntry[] = [];
    const out = backend.translate(req, trace);
    if (values.svg) {
      const title = `${values.iommu} ${describeRequest(req, backend.schema.pasidField)} → ${out.ok ? out.pa : String(out.fault.name)}`;
      try {
        writeFileSync(values.svg, renderWalkSvg(trace, { title }));
      } catch (e) {
        throw new CliError((e as Error).message, values.svg);
      }
    }
    io.out(values.json ? JSON.stringify(out) : renderText(req, out, trace, io, backend.schema.pasidField));
    return 0;
  }
  const source = values.requests;
  const progress = new Progress(io.stderr, 'translated');
  let bad = 0;
  let done = 0;
  for await (const { text, line } of readLines(source, io.stdin)) {
    if (text.trim() === '') continue;
    let req: CliRequest;
    try {
      req = parseRequestLine(text, backend.schema);
    } catch (e) {
      const message = e instanceof CliError ? e.message : String(e);
      bad++;
      io.err(`viommu: ${source === '-' ? 'stdin' : source}:${line}: ${message}`);
      await writeLine(io.stdout, JSON.stringify({ ok: false, error: { line, message } }));
      continue;
    }
    const trace: TraceEntry[] = [];
    let out: TranslateJson;
    try {
      out = backend.translate(req, trace);
    } catch (e) {
      // A request the device model refuses as malformed is that line's error; the rest go on.
      if (!isIommuError(e)) throw e;
      bad++;
      io.err(`viommu: ${source === '-' ? 'stdin' : source}:${line}: ${e.message}`);
      await writeLine(io.stdout, JSON.stringify({ ok: false, error: { line, message: e.message } }));
      continue;
    }
    await writeLine(io.stdout, values.json ? JSON.stringify(out) : renderText(req, out, trace, io, backend.schema.pasidField));
    progress.tick(++done);
  }
  progress.done();
  return bad > 0 ? 2 : 0;
}
