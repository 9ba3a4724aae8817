// The reference pipeline's sustained rate on this machine: the highest offered rate (events/s,
// gateway to sink) that it keeps up with while end-to-end p99 stays under 1 s.
// Usage: node --import tsx bench/referenceRate.ts [--rates 200,400,600] [--seconds 20] [--runs 3]
// Each step is an open-model load (requests start on schedule, not when the previous one ends),
// against its own database and streams; results are medians of --runs runs per rate.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migrate } from '../reference/migrate.ts';
import { loadSettings } from '../reference/settings.ts';
import { ReferenceSupervisor } from '../runner/referenceSupervisor.ts';

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

const env: Record<string, string> = {
  REFERENCE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pipesoak_bench',
  STREAM: 'BENCH_EVENTS',
  SUBJECT_PREFIX: 'bench.events',
  DLQ_STREAM: 'BENCH_DLQ',
  DLQ_SUBJECT_PREFIX: 'bench.dlq',
  CONSUMER: 'bench-worker',
  DLQ_CONSUMER: 'bench-dlq',
  GATEWAY_PORT: '0',
  SINK_PORT: '0',
  LLM_PORT: '0',
  METRICS_PORT: '0',
  LOG_LEVEL: 'warn',
};
const settings = loadSettings(env);
await migrate(settings.databaseUrl);
const db = new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });

interface Step {
  rate: number;
  achieved: number;
  completed: number;
  sent: number;
  p50: number;
  p99: number;
}

async function step(gateway: string, rate: number, tag: string): Promise<Step> {
  const intervalMs = 1000 / rate;
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inflight: Promise<unknown>[] = [];
  let failed = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      fetch(`${gateway}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          conversationId: `c${i % 50}`,
          userId: `u${i % 7}`,
          text: 'bench',
          correlationId: `${tag}-${i}`,
        }),
      }).then(
        (r) => {
          if (r.status !== 202) failed++;
          return r.arrayBuffer();
        },
        () => failed++,
      ),
    );
  }
  await Promise.all(inflight);
  const sendS = (performance.now() - start) / 1000;
  // Bounded drain: whatever is not done 10 s after the last send counts against the rate.
  const deadline = Date.now() + 10_000;
  let done = 0;
  while (Date.now() < deadline) {
    done = Number(
      (await db.query(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE $1`, [`${tag}-%`]))
        .rows[0].n,
    );
    if (done >= total - failed) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const q = await db.query(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM applied_at - (payload->>'acceptedAt')::timestamptz) * 1000 AS ms
               FROM kg_facts WHERE correlation_id LIKE $1) s`,
    [`${tag}-%`],
  );
  return {
    rate,
    sent: total - failed,
    completed: done,
    achieved: (total - failed) / sendS,
    p50: Number(q.rows[0].p50),
    p99: Number(q.rows[0].p99),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const supervisor = new ReferenceSupervisor({ env: { ...process.env, ...env } });
try {
  await supervisor.start();
  const gateway = supervisor.url('gateway') ?? '';
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
  await supervisor.stopAll();
  await db.end();
}
