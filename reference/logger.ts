// Structured JSON logs (pino) for the reference components, one logger per component.
import { pino } from 'pino';

export function createLogger(component: string, level: string) {
  return pino({ name: component, level, base: { component, pid: process.pid } });
}
export type Logger = ReturnType<typeof createLogger>;
