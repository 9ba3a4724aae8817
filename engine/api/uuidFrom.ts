// A UUID derived from a name (the RFC 9562 version 5 layout: SHA-1 of a namespace and the name), so
// iteration k's message id is the same every time it is published: a re-publish is a duplicate.
import { createHash } from 'node:crypto';

// A fixed namespace of pipesoak's own (a random v4 made once), so its ids do not collide with other v5 users'.
const NAMESPACE = Buffer.from('6f1d2b7e8c4a4e0f9a3b5d7c1e2f4a6b', 'hex');

export function uuidFrom(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
