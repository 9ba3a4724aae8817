// The reference pipeline's sustained rate on this machine: the highest offered rate (events/s,
// gateway to sink) that it keeps up with while end-to-end p99 stays under 1 s.
// Usage: node --import tsx bench/referenceRate.ts [--rates 200,400,600] [--seconds 20] [--runs 3]
// Each step is an open-model load (requests start on schedule, not when the previous one ends),
// against its own database and streams; results are medians of --runs runs per rate.
import { parseArgs } from 'node:util';
import { openLoad } from '../test/support/openLoad.ts';
import { startBenchPipeline, waitForFacts } from './support/benchPipeline.ts';
import { median } from './support/median.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,400,600,800' },
    seconds: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
  },
});
const rates = (values.rates ?? '').split(',').map(Number);
const seconds = Number(values.seconds);
const runs = Number(values.runs);

const pipeline = await startBenchPipeline('bench');
const { db } = pipeline;

interface Step {
  rate: number;
  achieved: number;
  completed: number;
  sent: number;
  p50: number;
  p99: number;
}

async function step(gateway: string, rate: number, tag: string): Promise<Step> {
  const load = await openLoad({
    gatewayUrl: gateway,
    ratePerSecond: rate,
    durationMs: seconds * 1000,
    prefix: tag,
  });
  const sendS = load.elapsedMs / 1000;
  // Bounded drain: whatever is not done 10 s after the last send counts against the rate.
  const done = await waitForFacts(db, tag, load.accepted, 10_000);
  const q = await db.query(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM applied_at - (payload->>'acceptedAt')::timestamptz) * 1000 AS ms
               FROM kg_facts WHERE correlation_id LIKE $1) s`,
    [`${tag}-%`],
  );
  return {
    rate,
    sent: load.accepted,
    completed: done,
    achieved: load.accepted / sendS,
    p50: Number(q.rows[0].p50),
    p99: Number(q.rows[0].p99),
  };
}

try {
  const gateway = pipeline.gatewayUrl;
  let sustained = 0;
  process.stdout.write(
    `rate(ev/s)  achieved  completed/sent  e2e p50(ms)  e2e p99(ms)   [median of ${runs}]\n`,
  );
  for (const rate of rates) {
    const results: Step[] = [];
    for (let r = 0; r < runs; r++) results.push(await step(gateway, rate, `r${rate}-${r}-${Date.now()}`));
    const p99 = median(results.map((s) => s.p99));
    const ok = results.filter((s) => s.completed >= s.sent && s.p99 < 1000).length > runs / 2;
    process.stdout.write(
      `${String(rate).padStart(9)}  ${median(results.map((s) => s.achieved))
        .toFixed(0)
        .padStart(8)}  ` +
        `${`${median(results.map((s) => s.completed))}/${median(results.map((s) => s.sent))}`.padStart(14)}  ` +
        `${median(results.map((s) => s.p50))
          .toFixed(0)
          .padStart(11)}  ${p99.toFixed(0).padStart(11)}  ${ok ? 'keeps up' : 'falls behind'}\n`,
    );
    if (ok) sustained = rate;
    else break;
  }
  process.stdout.write(`sustained rate with e2e p99 < 1 s: ${sustained} events/s\n`);
} finally {
  await pipeline.stop();
}
