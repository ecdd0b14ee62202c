/**
 * `viommu decode qi-descriptor`: a VT-d invalidation-queue descriptor (VT-d spec §6.5.2). The width follows the
 * number of 64-bit words given: one or two words are a 128-bit descriptor (IQA_REG.DW=0), three or four a
 * 256-bit one (IQA_REG.DW=1; a missing fourth word is zero). Fields come from `@viommu/intel-vtd`'s per-type
 * layouts, the verdict — and the IQERCD_REG.IQEI code a rejection reports — from its `decodeQiDescriptor`.
 * @packageDocumentation
 */
import { getFieldBig } from '@viommu/core';
import { QI_DESCRIPTOR_LAYOUTS, QiDescriptorType, decodeQiDescriptor, isQiDescriptorInvalid, qiDescriptorType } from '@viommu/intel-vtd';
import { type DecodedStructure, type Decodable, decodeWithLayout } from '../decodable';

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/** `iotlb` for 2, `pasid-device-tlb` for 8…: the descriptor type's name, or undefined for an undefined type. */
export function qiTypeName(type: number): string | undefined {
  const entry = Object.entries(QiDescriptorType).find(([, v]) => v === type);
  return entry ? entry[0].toLowerCase().replaceAll('_', '-') : undefined;
}

/** What IQERCD_REG.IQEI reports, by code. */
const IQEI_NAMES: Readonly<Record<number, string>> = { 3: 'invalid descriptor type', 4: 'reserved field violation' };

/** 256-bit descriptors: how many 64-bit words have to be given for the descriptor to be read as 256 bits. */
export const QI_256_MIN_WORDS = 3;

function decodeQi(words: Uint32Array, dw256: boolean): DecodedStructure {
  const width = dw256 ? 256 : 128;
  const type = qiDescriptorType(words);
  const result = decodeQiDescriptor(words.subarray(0, dw256 ? 8 : 4), dw256);
  const problems = isQiDescriptorInvalid(result) ? [`IQEI ${result.iqei} (${IQEI_NAMES[result.iqei]}): ${result.detail}`] : [];
  const layout = QI_DESCRIPTOR_LAYOUTS[type as keyof typeof QI_DESCRIPTOR_LAYOUTS];
  if (!layout) {
    const fields: Record<string, string | number> = { TYPE: type };
    for (let q = 0; q < width / 64; q++) fields[`QW${q}`] = hex(getFieldBig(words, q * 64, 64));
    return { structure: `inv_dsc (${width}-bit)`, fields, meanings: { TYPE: 'undefined type' }, reserved: [], valid: false, problems };
  }
  const decoded = decodeWithLayout(layout, words.subarray(0, 4), () => problems, `${layout.spec.name} (${width}-bit)`);
  decoded.meanings.TYPE_LO = qiTypeName(type) ?? '';
  if (dw256) {
    const upper = getFieldBig(words, 128, 128);
    if (type === QiDescriptorType.PAGE_GROUP_RESPONSE) {
      // The upper half of a 256-bit page-group response carries the page request's private data.
      decoded.fields.PRIVATE_DATA_QW2 = hex(getFieldBig(words, 128, 64));
      decoded.fields.PRIVATE_DATA_QW3 = hex(getFieldBig(words, 192, 64));
    } else if (upper !== 0n) {
      decoded.reserved.push({ bits: '255:128', value: hex(upper) });
    }
  }
  return decoded;
}

/** Invalidation-queue descriptor, 128- or 256-bit. */
export const QI_DESCRIPTOR: Decodable = {
  name: 'qi-descriptor',
  vendor: 'vtd',
  summary: 'invalidation-queue descriptor (§6.5.2): 128-bit from 1–2 words, 256-bit from 3–4 words',
  words64: 4,
  decode: (words, options) => decodeQi(words, (options?.givenWords64 ?? 2) >= QI_256_MIN_WORDS),
};
