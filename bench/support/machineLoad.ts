// The line every bench prints beside its figures: what else was running while it measured.
import { availableParallelism, loadavg } from 'node:os';

export function machineLoadLine(when: string): string {
  const [one, five, fifteen] = loadavg().map((x) => x.toFixed(2));
  return `load average ${when} (1/5/15 min): ${one} ${five} ${fifteen} on ${availableParallelism()} cores`;
}
