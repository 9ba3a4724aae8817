// CPU time and resident memory of a process, from /proc (Linux): user + system over all its
// threads, so a process's cost is read from outside without its cooperation.
import { readFile } from 'node:fs/promises';

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux build in practice. */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcStat {
  /** The state letter: R, S, D, Z (zombie), X (dead), … */
  state: string;
  cpuSeconds: number;
  rssBytes: number;
}

/** undefined when the process is gone. */
export async function readProcStat(
  pid: number,
  ticksPerSecond: number = CLOCK_TICKS_PER_SECOND,
): Promise<ProcStat | undefined> {
  let stat: string;
  let status: string;
  try {
    [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw err;
  }
  // `pid (comm) state … utime stime …`; comm may hold spaces and parentheses. After comm, [0] is
  // field 3 (state), so utime (field 14) is [11] and stime (field 15) is [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`/proc/${pid}/stat: no utime/stime`);
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return {
    state: fields[0] ?? '?',
    cpuSeconds: ticks / ticksPerSecond,
    rssBytes: rss?.[1] ? Number(rss[1]) * 1024 : 0,
  };
}
