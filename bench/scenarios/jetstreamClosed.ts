// Bench scenario: the jetstream scenario's iteration (scenarios/jetstream.ts, msgID and all) in a
// closed model, load.vus.max VUs publishing back to back for the duration, so the bench measures
// the publish throughput the client can reach rather than an arrival rate it was given.
import type { LoadSettings } from 'pipesoak/scenario';

export { default } from '../../scenarios/jetstream.ts';

export function options(load: LoadSettings) {
  return {
    scenarios: {
      jetstreamClosed: {
        executor: 'constant-vus' as const,
        vus: load.vus.max,
        duration: load.durationMs,
        gracefulStop: '5s',
      },
    },
  };
}
