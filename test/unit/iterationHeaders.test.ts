import { MsgHdrsImpl } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { iterationHeaders } from '../../engine/clients/iterationHeaders.ts';
import type { IterationInfo } from '../../engine/clients/iterationInfo.ts';

const info = {
  correlationId: 'steady-20261203-1-42',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
} as IterationInfo;

/** What nats.js itself would encode for the same header set. */
const generic = (h: MsgHdrsImpl) => MsgHdrsImpl.prototype.toString.call(h);
const text = (h: MsgHdrsImpl) => Buffer.from(h.encode()).toString();

describe('iterationHeaders', () => {
  it("encodes exactly nats.js's block for the engine's headers, with a msgID and without", () => {
    for (const msgID of ['steady-20261203-1-42', undefined]) {
      const h = iterationHeaders(info, msgID, undefined);
      expect(text(h)).toBe(generic(h));
      const back = MsgHdrsImpl.decode(h.encode());
      expect(back.get('Nats-Msg-Id')).toBe(msgID ?? '');
      expect(back.get('traceparent')).toBe(info.traceparent);
      expect(back.get('Correlation-Id')).toBe(info.correlationId);
    }
  });

  it("follows the scenario's headers, which replace the engine's of the same name", () => {
    const h = iterationHeaders(info, 'id-1', { 'Correlation-Id': 'mine', 'X-Tenant': 't1' });
    expect(text(h)).toBe(generic(h));
    const back = MsgHdrsImpl.decode(h.encode());
    expect(back.get('Correlation-Id')).toBe('mine');
    expect(back.get('X-Tenant')).toBe('t1');
    expect(back.get('Nats-Msg-Id')).toBe('id-1');
  });

  it('a change after it was built is encoded too', () => {
    const h = iterationHeaders(info, 'id-1', undefined);
    h.delete('traceparent');
    expect(text(h)).toBe(generic(h));
    expect(MsgHdrsImpl.decode(h.encode()).has('traceparent')).toBe(false);
  });

  it('refuses a msgID that would break the header block', () => {
    expect(() => iterationHeaders(info, 'a\r\nInjected: 1', undefined)).toThrow(/\\r or \\n/);
  });
});
