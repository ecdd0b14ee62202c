import { describe, expect, it } from 'vitest';
import { DEFAULT_SMMU_CAPABILITIES, STE, checkSte, resolveSubstream, s1dssBehaviour, type SteConfig } from '../src/structures/index';

const caps = DEFAULT_SMMU_CAPABILITIES;
const legal = (fields: Parameters<typeof STE.encode>[0]): SteConfig => {
  const r = checkSte(STE.encode({ V: 1, S1ContextPtr: 0x8000_0000n, ...fields }), caps);
  if (r.illegal) throw new Error(r.message);
  return r;
};

describe('S1DSS behaviours [SPEC 5.2 S1DSS]', () => {
  it('matches the reference table', () => {
    expect(s1dssBehaviour('terminate')).toEqual({ withoutSubstream: 'terminate', withSubstream0: 'cd0' });
    expect(s1dssBehaviour('bypass')).toEqual({ withoutSubstream: 'bypass-stage1', withSubstream0: 'cd0' });
    expect(s1dssBehaviour('substream0')).toEqual({ withoutSubstream: 'cd0', withSubstream0: 'terminate' });
    expect(s1dssBehaviour('reserved')).toEqual(s1dssBehaviour('terminate'));
  });

  const decide = (s1dss: number, ssid: number | undefined) => resolveSubstream(legal({ Config: 5, S1CDMax: 4, S1DSS: s1dss }), caps, ssid);

  it('transactions without a SubstreamID', () => {
    expect(decide(0, undefined)).toEqual({ action: 'terminate', fault: 'F_STREAM_DISABLED' });
    expect(decide(1, undefined)).toEqual({ action: 'no-stage1' });
    expect(decide(2, undefined)).toEqual({ action: 'translate', cdIndex: 0 }); // pasid0_dma_no_pasid
    expect(decide(3, undefined)).toEqual({ action: 'terminate', fault: 'F_STREAM_DISABLED' });
  });

  it('transactions with SubstreamID 0 and with another SubstreamID', () => {
    expect(decide(0, 0)).toEqual({ action: 'translate', cdIndex: 0 });
    expect(decide(1, 0)).toEqual({ action: 'translate', cdIndex: 0 });
    expect(decide(2, 0)).toEqual({ action: 'terminate', fault: 'F_STREAM_DISABLED' });
    for (const s1dss of [0, 1, 2, 3]) expect(decide(s1dss, 7)).toEqual({ action: 'translate', cdIndex: 7 });
  });
});

describe('C_BAD_SUBSTREAMID at the STE [SPEC 7.3.9]', () => {
  it('SubstreamID with stage 1 disabled (Config 0b1x0), whatever the substream support', () => {
    for (const config of [4, 6]) {
      const ste = legal({ Config: config, S2T0SZ: 16, S2SL0: 2, S2AA64: 1, S2PS: 5 });
      expect(resolveSubstream(ste, caps, 1)).toEqual({ action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'STAGE1_DISABLED' });
      expect(resolveSubstream(ste, { ssidSize: 0 }, 0)).toEqual({ action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'STAGE1_DISABLED' });
      expect(resolveSubstream(ste, caps, undefined)).toEqual({ action: 'no-stage1' });
    }
  });

  it('SubstreamID with SSIDSIZE == 0, with S1CDMax == 0, and beyond 2^S1CDMax', () => {
    const ste = legal({ Config: 5, S1CDMax: 4 });
    expect(resolveSubstream(ste, { ssidSize: 0 }, 0)).toMatchObject({ reason: 'SUBSTREAMS_UNSUPPORTED' });
    expect(resolveSubstream(legal({ Config: 5, S1CDMax: 0 }), caps, 0)).toMatchObject({ reason: 'SUBSTREAMS_DISABLED' });
    expect(resolveSubstream(ste, caps, 15)).toEqual({ action: 'translate', cdIndex: 15 });
    expect(resolveSubstream(ste, caps, 16)).toEqual({ action: 'terminate', fault: 'C_BAD_SUBSTREAMID', reason: 'SSID_OUT_OF_RANGE' });
  });

  it('without substreams, traffic without a SubstreamID uses the single CD and S1DSS is IGNORED', () => {
    expect(resolveSubstream(legal({ Config: 5, S1CDMax: 0, S1DSS: 0 }), caps, undefined)).toEqual({ action: 'translate', cdIndex: 0 });
    expect(resolveSubstream(legal({ Config: 5, S1CDMax: 4, S1DSS: 0 }), { ssidSize: 0 }, undefined)).toEqual({ action: 'translate', cdIndex: 0 });
  });

  it('abort STEs terminate silently; bad API input throws', () => {
    expect(resolveSubstream(legal({ Config: 0 }), caps, 3)).toEqual({ action: 'abort' });
    const ste = legal({ Config: 5, S1CDMax: 4 });
    expect(() => resolveSubstream(ste, caps, -1)).toThrow();
    expect(() => resolveSubstream(ste, caps, 0x10_0000)).toThrow();
  });
});
