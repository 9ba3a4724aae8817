// CPU time and resident memory of another process (collectors/harness/procStat.ts), for a bench
// that measures a child's cost from outside; the process must still be there.
import { type ProcStat, readProcStat } from '../../collectors/harness/procStat.ts';

export type ProcessUsage = Pick<ProcStat, 'cpuSeconds' | 'rssBytes'>;

export async function processUsage(pid: number): Promise<ProcessUsage> {
  const stat = await readProcStat(pid);
  if (stat === undefined) throw new Error(`process ${pid} is gone`);
  return stat;
}
