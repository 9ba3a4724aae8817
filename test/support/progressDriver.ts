// Drives live progress on this process's stdout, as `pipesoak run` will, for the terminal test:
// five ticks a second of elapsed time apart, then done() with a final line.
import { createProgress } from '../../runner/progress/createProgress.ts';

const isTTY = process.stdout.isTTY === true;
process.stdout.write(`stdout is a terminal: ${isTTY}\n`);
const progress = createProgress({ stream: process.stdout, isTTY });
for (let s = 1; s <= 5; s++) {
  progress.tick({
    scenario: 'ramp',
    elapsedMs: s * 1000,
    totalMs: 5000,
    phase: s < 2 ? 'warm-up' : 'measuring',
    targetRate: 100,
    achievedRate: s * 20,
    rateWindow: s < 5 ? `last ${s} s` : 'whole run',
    dropped: s - 1,
    errors: { failedRequests: s, requests: 100 * s, failedPublishes: 0, thrown: 0 },
    gatewayP99Ms: 10 + s,
    e2eP99Ms: 200 + s,
    outboxPending: s,
    consumerPending: 10 * s,
    dlqDepth: 0,
    failingSlos: s >= 4 ? ['e2e.latency'] : [],
    generator: { eventLoopDelayP99Ms: 1.5, cpu: 0.2, saturated: false, loadAverage: 4, cores: 2 },
    faults: s === 3 ? ['db-latency'] : [],
  });
  await new Promise((done) => setTimeout(done, 20));
}
progress.done('final line');
