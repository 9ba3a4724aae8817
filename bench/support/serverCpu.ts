// CPU seconds a bench's own nats-server has used so far, read from /proc: what the server spends
// per message is part of a client's throughput on the shared 2 cores.
import { readProcStat } from '../../collectors/harness/procStat.ts';
import type { OwnNatsServer } from '../../faults/ownNatsServer.ts';

export async function serverCpuSeconds(server: OwnNatsServer): Promise<number> {
  const stat = server.pid === undefined ? undefined : await readProcStat(server.pid);
  if (!stat) throw new Error('the bench nats-server is not running');
  return stat.cpuSeconds;
}
