/**
 * Field specifications shared by the event record layouts [SPEC 7.3]. Bit numbers are absolute within the
 * 32-byte record.
 * @packageDocumentation
 */

/** Type [7:0]: the event code. */
export const EV_TYPE = { name: 'Type', hi: 7, lo: 0, doc: 'Event type code.' } as const;
/** SSV [11]: SubstreamID valid. */
export const EV_SSV = { name: 'SSV', hi: 11, lo: 11, values: { 0: 'no SubstreamID', 1: 'SubstreamID valid' }, doc: 'SubstreamID valid.' } as const;
/** SubstreamID [31:12]. */
export const EV_SUBSTREAM_ID = { name: 'SubstreamID', hi: 31, lo: 12, doc: 'SubstreamID of the transaction (valid when SSV == 1).' } as const;
/** SubstreamID [31:12] of C_BAD_SUBSTREAMID, which has no SSV: always valid. */
export const EV_SUBSTREAM_ID_ALWAYS = { name: 'SubstreamID', hi: 31, lo: 12, doc: 'SubstreamID that could not be used (always valid in this event).' } as const;
/** StreamID [63:32]. */
export const EV_STREAM_ID = { name: 'StreamID', hi: 63, lo: 32, doc: 'StreamID of the transaction.' } as const;
/** STAG [79:64]: stall tag. */
export const EV_STAG = { name: 'STAG', hi: 79, lo: 64, doc: 'Stall tag to pass to CMD_RESUME (valid when Stall == 1).' } as const;
/** Stall [95]. */
export const EV_STALL = { name: 'Stall', hi: 95, lo: 95, values: { 0: 'terminated', 1: 'stalled' }, doc: 'The transaction is stalled awaiting CMD_RESUME.' } as const;
/** PnU [97]. */
export const EV_PNU = { name: 'PnU', hi: 97, lo: 97, values: { 0: 'unprivileged', 1: 'privileged' }, doc: 'Privileged / unprivileged (post-STE override).' } as const;
/** InD [98]. */
export const EV_IND = { name: 'InD', hi: 98, lo: 98, values: { 0: 'data', 1: 'instruction' }, doc: 'Instruction / data (post-STE override; 0 for writes).' } as const;
/** RnW [99]. */
export const EV_RNW = { name: 'RnW', hi: 99, lo: 99, values: { 0: 'write', 1: 'read' }, doc: 'Read (1) or write (0).' } as const;
/** S2 [103]. */
export const EV_S2 = { name: 'S2', hi: 103, lo: 103, values: { 0: 'stage 1', 1: 'stage 2' }, doc: 'Stage at which the fault occurred.' } as const;
/** CLASS [105:104]. */
export const EV_CLASS = {
  name: 'CLASS',
  hi: 105,
  lo: 104,
  values: { 0: 'CD', 1: 'TT', 2: 'IN', 3: 'reserved' },
  doc: 'What was being accessed: CD fetch, stage 1 table walk, or the input address.',
} as const;
/** TTRnW [108]. */
export const EV_TTRNW = {
  name: 'TTRnW',
  hi: 108,
  lo: 108,
  values: { 0: 'descriptor write', 1: 'descriptor read' },
  doc: 'With CLASS == TT: whether a stage 1 descriptor read or (HTTU) write faulted at stage 2.',
} as const;
/** InputAddr [191:128]. */
export const EV_INPUT_ADDR = { name: 'InputAddr', hi: 191, lo: 128, big: true, doc: 'The 64-bit input address of the transaction, as presented.' } as const;
/** FetchAddr[55:3] at [247:195]. */
export const EV_FETCH_ADDR = {
  name: 'FetchAddr',
  hi: 247,
  lo: 195,
  shift: 3,
  big: true,
  doc: 'PA of the structure or descriptor whose fetch failed, bits [55:3].',
} as const;
/** IPA[51:12] at [243:204]. */
export const EV_IPA = {
  name: 'IPA',
  hi: 243,
  lo: 204,
  shift: 12,
  doc: 'Stage 2 faults: the IPA being translated (CD address for CLASS == CD, descriptor address for TT), bits [51:12].',
} as const;
