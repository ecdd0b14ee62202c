import { describe, expect, it } from 'vitest';
import { CacheType, checkCacheInvalidate, isIommuError, type CacheInvalidateInfo } from '../src/index';

function codeOf(info: CacheInvalidateInfo): string | undefined {
  try {
    checkCacheInvalidate(info, 20);
  } catch (e) {
    return isIommuError(e) ? e.code : 'other';
  }
  return undefined;
}

const addrInfo = { flags: 1, archid: 0, pasid: 5, addr: 0x10000, granuleSize: 4096, nbGranules: 4 };

describe('generic cache invalidation checks', () => {
  it('accepts the valid combinations', () => {
    expect(codeOf({ version: 1, cache: CacheType.IOTLB, granularity: 'domain' })).toBeUndefined();
    expect(codeOf({ version: 1, cache: CacheType.PASID | CacheType.IOTLB, granularity: 'pasid', pasidInfo: { flags: 1, archid: 0, pasid: 3 } })).toBeUndefined();
    expect(codeOf({ version: 1, cache: CacheType.IOTLB | CacheType.DEV_IOTLB, granularity: 'addr', addrInfo })).toBeUndefined();
  });
  it('rejects domain + device TLB', () => expect(codeOf({ version: 1, cache: CacheType.DEV_IOTLB, granularity: 'domain' })).toBe('INVALIDATE_COMBINATION'));
  it('rejects addr + PASID cache', () => expect(codeOf({ version: 1, cache: CacheType.PASID, granularity: 'addr', addrInfo })).toBe('INVALIDATE_COMBINATION'));
  it('rejects bad versions, caches, granularities and selectors', () => {
    expect(codeOf({ version: 2, cache: 1, granularity: 'domain' })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 0, granularity: 'domain' })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 8, granularity: 'domain' })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'bogus' as never })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'pasid' })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'pasid', pasidInfo: { flags: 0, archid: 0, pasid: 0 } })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'pasid', pasidInfo: { flags: 1, archid: 0, pasid: 1 << 20 } })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'addr' })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'addr', addrInfo: { ...addrInfo, granuleSize: 6000 } })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'addr', addrInfo: { ...addrInfo, granuleSize: 2048 } })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'addr', addrInfo: { ...addrInfo, nbGranules: 0 } })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'addr', addrInfo: { ...addrInfo, addr: 0x10800 } })).toBe('INVALIDATE_ARGUMENT');
    expect(codeOf({ version: 1, cache: 1, granularity: 'addr', addrInfo: { ...addrInfo, flags: 8 } })).toBe('INVALIDATE_ARGUMENT');
  });
});
