/**
 * @viommu/cli — the `viommu` command as a library: run it programmatically with {@link main}, or reuse its
 * renderers (walk traces as text, nested walks as SVG) and its structure decoders.
 * @packageDocumentation
 */
export { main, mainHelp, COMMANDS, type Command } from './main';
export type { CliIo } from './io';
export { processIo } from './io';
export { CliError } from './errors';
export { parseHex, parseHexNumber, toHex } from './hex';
export { renderWalkSvg, type SvgOptions } from './render/svg';
export { renderTraceLines, painter, type Painter } from './render/trace-text';
export { DECODABLES } from './decode/index';
export { decodeWithLayout, type Decodable, type DecodedStructure } from './decodable';
export { VERSION } from './version';
