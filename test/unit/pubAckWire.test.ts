import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePubAck } from '../../engine/clients/pubAckWire.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('parsePubAck', () => {
  it('reads the common shapes nats-server writes', () => {
    expect(parsePubAck(enc('{"stream":"EVENTS","seq":4533456}'))).toEqual({
      stream: 'EVENTS',
      seq: 4533456,
      duplicate: false,
    });
    expect(parsePubAck(enc('{"stream":"EVENTS","seq":7,"duplicate":true}'))).toEqual({
      stream: 'EVENTS',
      seq: 7,
      duplicate: true,
    });
    // A stream of another name after the first: the cached name is not reused for it.
    expect(parsePubAck(enc('{"stream":"OTHER","seq":0}')).stream).toBe('OTHER');
    expect(parsePubAck(enc('{"stream":"EVENTS","seq":1}')).stream).toBe('EVENTS');
  });

  it('leaves errors, domains, escapes and other orders to JSON.parse', () => {
    for (const text of [
      '{"error":{"code":503,"err_code":10076,"description":"no stream"},"stream":"S","seq":0}',
      '{"stream":"S","domain":"hub","seq":3}',
      '{"stream":"S\\u0041","seq":3}',
      '{"seq":3,"stream":"S"}',
      '{"stream":"S","seq":3,"duplicate":false}',
      '{"stream":"S","seq":12345678901234567}',
    ])
      expect(parsePubAck(enc(text))).toEqual(JSON.parse(text));
  });

  it('agrees with JSON.parse on any stream name, sequence and duplicate flag', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), fc.option(fc.boolean()), (stream, seq, duplicate) => {
        const text = JSON.stringify({ stream, seq, ...(duplicate === null ? {} : { duplicate }) });
        const parsed = parsePubAck(enc(text));
        const expected = JSON.parse(text);
        expect(parsed.stream).toBe(expected.stream);
        expect(parsed.seq).toBe(expected.seq);
        expect(parsed.duplicate === true).toBe(expected.duplicate === true);
      }),
    );
  });

  it('throws on what is not a JSON object', () => {
    expect(() => parsePubAck(enc('{"stream":"S","seq":'))).toThrow(SyntaxError);
    for (const text of ['null', '5', '"x"']) expect(() => parsePubAck(enc(text))).toThrow(SyntaxError);
  });
});
