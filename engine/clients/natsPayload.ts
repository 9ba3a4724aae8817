// Turns what a scenario passes as a message body into bytes nats.js sends unchanged.
export type NatsData = string | Uint8Array | object;

export function natsPayload(data: NatsData): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return JSON.stringify(data);
}
