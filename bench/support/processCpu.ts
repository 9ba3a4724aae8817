// CPU time and resident memory of another process, from /proc (Linux): user + system over all its
// threads, so a process's cost is measured from outside without its cooperation.
import { readFile } from 'node:fs/promises';

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux build in practice. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  cpuSeconds: number;
  rssBytes: number;
}

export async function processUsage(pid: number): Promise<ProcessUsage> {
  const [stat, status] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8'),
    readFile(`/proc/${pid}/status`, 'utf8'),
  ]);
  // After `pid (comm) `: [0] is the state, [11] utime and [12] stime (fields 14 and 15); comm may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`/proc/${pid}/stat: no utime/stime`);
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, rssBytes: rss?.[1] ? Number(rss[1]) * 1024 : 0 };
}
