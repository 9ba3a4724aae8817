// The open-model executor settings every shipped scenario shares: VUs from the config's load.vus.
import type { LoadSettings } from 'pipesoak/scenario';

export function vus(load: LoadSettings) {
  return { preAllocatedVUs: load.vus.preAllocated, maxVUs: load.vus.max };
}
