// Structured JSON logs (pino) for the reference components, one logger per component.
import { pino } from 'pino';

// pg and nats errors carry their client (sockets, buffers, type tables): keep what a reader needs.
function serializeError(err: Error & { code?: unknown }) {
  return { type: err.name, message: err.message, code: err.code, stack: err.stack };
}

export function createLogger(component: string, level: string) {
  return pino({
    name: component,
    level,
    base: { component, pid: process.pid },
    serializers: { err: serializeError },
  });
}
export type Logger = ReturnType<typeof createLogger>;
