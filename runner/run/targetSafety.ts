// DESIGN section 8: load goes to loopback addresses unless the user passes --allow-remote. Every
// address of the target is checked before anything connects, so a typo cannot load a remote host.
import { isLoopbackHost } from '../../faults/loopbackAddress.ts';
import type { Config } from '../config/configSchema.ts';
import { UsageError } from '../usageError.ts';

const ADDRESS_FIELDS = ['gatewayUrl', 'databaseUrl', 'natsUrl', 'workerMetricsUrl'] as const;

export function assertTargetIsLocal(target: Config['target'], allowRemote: boolean): void {
  if (allowRemote) return;
  for (const field of ADDRESS_FIELDS) {
    const host = new URL(target[field]).hostname;
    if (!isLoopbackHost(host)) {
      throw new UsageError(
        `config target.${field}: ${host} is not a loopback address; pass --allow-remote to load a remote target`,
      );
    }
  }
}
