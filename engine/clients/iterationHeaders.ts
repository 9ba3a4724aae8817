// The NATS headers of one iteration's message: Nats-Msg-Id (JetStream), traceparent and
// Correlation-Id, then the scenario's own. nats.js frames the message; this skips the work its
// generic header set repeats for our fixed, canonical keys.
import { MsgHdrsImpl } from '@nats-io/transport-node';
import { HEADERS } from './clientDefaults.ts';
import type { IterationInfo } from './iterationInfo.ts';

/**
 * append() canonicalises the key, lists every key to find a match and tests the value with a
 * regex, three times per message (8% of a JetStream worker's time at 80k msgs/s); toString()
 * walks the Map's entries; encode() makes a fresh ArrayBuffer with TextEncoder where Buffer.from
 * slices Node's shared pool. With only the engine's headers, the block is one template literal
 * (encode 0.69 → 0.46 µs a message); any change to the set falls back to nats.js's toString().
 */
class IterationHeaders extends MsgHdrsImpl {
  /** The encoded block's text while the set holds just what iterationHeaders() put. */
  block: string | undefined;

  /** `key` is one of HEADERS (canonical already); `value` is checked by nats.js's own rule. */
  put(key: string, value: string): string {
    const checked = MsgHdrsImpl.validHeaderValue(value);
    this.headers.set(key, [checked]);
    return checked;
  }

  /** Our own hex, which cannot hold \r or \n. */
  putTrusted(key: string, value: string): void {
    this.headers.set(key, [value]);
  }

  override set(k: string, v: string, match?: Parameters<MsgHdrsImpl['set']>[2]): void {
    this.block = undefined;
    super.set(k, v, match);
  }

  override append(k: string, v: string, match?: Parameters<MsgHdrsImpl['append']>[2]): void {
    this.block = undefined;
    super.append(k, v, match);
  }

  override delete(k: string, match?: Parameters<MsgHdrsImpl['delete']>[1]): void {
    this.block = undefined;
    super.delete(k, match);
  }

  override encode(): Uint8Array {
    return Buffer.from(this.block ?? this.toString());
  }
}

export function iterationHeaders(
  info: IterationInfo,
  msgID: string | undefined,
  extra: Record<string, string> | undefined,
): MsgHdrsImpl {
  const h = new IterationHeaders();
  const id = msgID === undefined ? undefined : h.put(HEADERS.natsMsgId, msgID);
  h.putTrusted(HEADERS.traceparent, info.traceparent);
  const correlationId = h.put(HEADERS.natsCorrelationId, info.correlationId);
  // Through set(), so the scenario's headers replace ours of the same name.
  if (extra) for (const k in extra) h.set(k, extra[k] as string);
  // nats.js's toString() of the same set, in the Map's insertion order.
  else
    h.block =
      (id === undefined ? 'NATS/1.0' : `NATS/1.0\r\n${HEADERS.natsMsgId}: ${id}`) +
      `\r\n${HEADERS.traceparent}: ${info.traceparent}\r\n${HEADERS.natsCorrelationId}: ${correlationId}\r\n\r\n`;
  return h;
}
