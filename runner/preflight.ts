// Preflight: before any load, check that the target can be measured at all — the gateway answers,
// the database is readable and has the outbox table, the streams and consumers exist, the metrics
// endpoint answers. Every check runs (in four parallel groups, each with its own deadline) and
// says what is wrong and what to do, so one attempt shows every problem. Read-only throughout.
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { redactUrl } from '../record/redact.ts';
import type { Config } from './config/configSchema.ts';

export const PREFLIGHT_DEFAULTS = { timeoutMs: 5000 } as const;

export type PreflightCheck =
  | 'gateway'
  | 'database'
  | 'outbox'
  | 'nats'
  | 'stream'
  | 'consumer'
  | 'dlqStream'
  | 'dlqConsumer'
  | 'metrics';

export interface PreflightResult {
  check: PreflightCheck;
  /** What was checked, secrets redacted: a URL, `stream EVENTS`, `table outbox_events`. */
  target: string;
  /** `skip`: not checkable because a check it needs failed (no NATS, so no stream). */
  status: 'pass' | 'fail' | 'skip';
  /** On fail, what is wrong; on skip, why it was not checked. */
  problem?: string;
  /** On fail, what to do. */
  fix?: string;
  elapsedMs: number;
}

type Target = Config['target'];
type Outcome = Pick<PreflightResult, 'status' | 'problem' | 'fix'>;
const PASS: Outcome = { status: 'pass' };

export async function preflight(
  target: Target,
  {
    timeoutMs = PREFLIGHT_DEFAULTS.timeoutMs,
    gatewayOnly = false,
  }: {
    timeoutMs?: number;
    /** A load-only segment sends load and measures nothing else: only the gateway must answer. */
    gatewayOnly?: boolean;
  } = {},
): Promise<PreflightResult[]> {
  const gateway = checkHttp(
    'gateway',
    `${target.gatewayUrl.replace(/\/+$/, '')}/healthz`,
    'gatewayUrl',
    'the gateway',
    timeoutMs,
  );
  const groups = await Promise.all(
    gatewayOnly
      ? [gateway]
      : [
          gateway,
          checkDatabase(target, timeoutMs),
          checkJetStream(target, timeoutMs),
          checkHttp('metrics', target.workerMetricsUrl, 'workerMetricsUrl', 'the worker', timeoutMs),
        ],
  );
  // The order a person reads them in, whatever finished first.
  const order: PreflightCheck[] = [
    'gateway',
    'database',
    'outbox',
    'nats',
    'stream',
    'consumer',
    'dlqStream',
    'dlqConsumer',
    'metrics',
  ];
  return groups.flat().sort((a, b) => order.indexOf(a.check) - order.indexOf(b.check));
}

/**
 * Runs a group of dependent checks against one deadline. `body` reports each check as it ends;
 * at the deadline the check under way fails with `onTimeout` and the rest are skipped.
 */
async function group(
  steps: { check: PreflightCheck; target: string }[],
  timeoutMs: number,
  body: (signal: AbortSignal, report: (outcome: Outcome) => void) => Promise<void>,
  onTimeout: (check: PreflightCheck) => Outcome,
): Promise<PreflightResult[]> {
  const results: PreflightResult[] = [];
  const controller = new AbortController();
  let stepStarted = performance.now();
  const report = (outcome: Outcome) => {
    const step = steps[results.length];
    if (!step || controller.signal.aborted) return;
    const now = performance.now();
    results.push({ ...step, ...outcome, elapsedMs: Math.round(now - stepStarted) });
    stepStarted = now;
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), timeoutMs);
  });
  try {
    const work = body(controller.signal, report).catch((err: Error) => {
      report({ status: 'fail', problem: `check failed unexpectedly: ${oneLine(err.message)}` });
    });
    if ((await Promise.race([work, deadline])) === 'timeout') {
      const current = steps[results.length];
      if (current) report(onTimeout(current.check));
      controller.abort();
    }
  } finally {
    clearTimeout(timer);
  }
  // Whatever did not get a verdict depends on one that failed.
  const failed = results.find((r) => r.status !== 'pass');
  for (const step of steps.slice(results.length)) {
    results.push({
      ...step,
      status: 'skip',
      problem: `not checked: ${failed ? `${failed.check} failed` : 'an earlier check did not finish'}`,
      elapsedMs: 0,
    });
  }
  return results;
}

async function checkHttp(
  check: 'gateway' | 'metrics',
  url: string,
  field: string,
  component: string,
  timeoutMs: number,
): Promise<PreflightResult[]> {
  const shown = redactUrl(url);
  const fixField = `start ${component}, or fix target.${field}`;
  return group(
    [{ check, target: shown }],
    timeoutMs,
    async (signal, report) => {
      let res: Response;
      try {
        res = await fetch(url, { signal, redirect: 'manual' });
      } catch (err) {
        if (signal.aborted) return;
        report({ status: 'fail', problem: `GET ${shown}: ${networkReason(err)}`, fix: fixField });
        return;
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) report(PASS);
      else {
        report({
          status: 'fail',
          problem: `GET ${shown} answered ${res.status}`,
          fix:
            res.status === 404
              ? `check the path in target.${field}`
              : `${component} is up but not healthy: see its log`,
        });
      }
    },
    () => ({
      status: 'fail',
      problem: `GET ${shown} gave no answer within ${timeoutMs} ms`,
      fix: `check that ${component} is running and not overloaded, or fix target.${field}`,
    }),
  );
}

const PG_FIXES: Record<string, string> = {
  ECONNREFUSED: 'start Postgres, or fix the host and port in target.databaseUrl',
  ENOTFOUND: 'fix the host in target.databaseUrl',
  '3D000': 'fix the database name in target.databaseUrl',
  '28P01': 'fix the user or password in target.databaseUrl',
  '28000': 'fix the user in target.databaseUrl, or allow it in pg_hba.conf',
};

async function checkDatabase(target: Target, timeoutMs: number): Promise<PreflightResult[]> {
  const shown = redactUrl(target.databaseUrl);
  const { table, idColumn, createdAtColumn, publishedAtColumn } = target.outbox;
  return group(
    [
      { check: 'database', target: shown },
      { check: 'outbox', target: `table ${table}` },
    ],
    timeoutMs,
    async (signal, report) => {
      const client = new pg.Client({
        connectionString: target.databaseUrl,
        application_name: 'pipesoak-preflight',
        // A little past the deadline: the deadline's message wins, these still close the socket.
        connectionTimeoutMillis: timeoutMs + 500,
        query_timeout: timeoutMs + 500,
      });
      client.on('error', () => undefined); // a socket dropped at abort is not news
      const end = () => void client.end().catch(() => undefined);
      signal.addEventListener('abort', end, { once: true });
      try {
        try {
          await client.connect();
          await client.query('SELECT 1');
        } catch (err) {
          if (signal.aborted) return;
          const { code, message } = err as { code?: string; message?: string };
          report({
            status: 'fail',
            problem:
              code === '3D000'
                ? `database "${new URL(target.databaseUrl).pathname.slice(1)}" does not exist`
                : `cannot use ${shown}: ${networkReason(err) || oneLine(message ?? String(err))}`,
            fix: PG_FIXES[code ?? ''] ?? 'check that Postgres is up and target.databaseUrl points at it',
          });
          return;
        }
        report(PASS);
        const found = await client.query<{ readable: boolean | null; columns: string[] | null }>(
          `SELECT has_table_privilege(to_regclass(quote_ident($1)), 'SELECT') AS readable,
                  (SELECT array_agg(attname::text) FROM pg_attribute
                    WHERE attrelid = to_regclass(quote_ident($1)) AND attnum > 0 AND NOT attisdropped) AS columns`,
          [table],
        );
        const row = found.rows[0];
        if (!row || row.readable === null) {
          report({
            status: 'fail',
            problem: `table ${table} not found in database ${databaseName(target.databaseUrl)}`,
            fix: "create the pipeline's schema (its migrations), or fix target.outbox.table",
          });
          return;
        }
        const wanted = { idColumn, createdAtColumn, publishedAtColumn };
        const missing = Object.entries(wanted).filter(([, column]) => !row.columns?.includes(column));
        if (missing.length > 0) {
          report({
            status: 'fail',
            problem: `table ${table} has no column ${missing.map(([, c]) => c).join(', ')}`,
            fix: `fix ${missing.map(([key]) => `target.outbox.${key}`).join(', ')}`,
          });
        } else if (!row.readable) {
          report({
            status: 'fail',
            problem: `the database user may not read table ${table}`,
            fix: `GRANT SELECT ON ${table} to the user in target.databaseUrl`,
          });
        } else report(PASS);
      } finally {
        signal.removeEventListener('abort', end);
        end();
      }
    },
    (check) =>
      check === 'database'
        ? {
            status: 'fail',
            problem: `${shown} gave no answer within ${timeoutMs} ms`,
            fix: 'check that Postgres is up and target.databaseUrl points at it',
          }
        : {
            status: 'fail',
            problem: `looking up table ${table} took over ${timeoutMs} ms`,
            fix: 'check the database load',
          },
  );
}

async function checkJetStream(target: Target, timeoutMs: number): Promise<PreflightResult[]> {
  const shown = redactUrl(target.natsUrl);
  return group(
    [
      { check: 'nats', target: shown },
      { check: 'stream', target: `stream ${target.stream}` },
      { check: 'consumer', target: `consumer ${target.consumer} on ${target.stream}` },
      { check: 'dlqStream', target: `stream ${target.dlqStream}` },
      { check: 'dlqConsumer', target: `consumer ${target.dlqConsumer} on ${target.dlqStream}` },
    ],
    timeoutMs,
    async (signal, report) => {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: target.natsUrl,
          timeout: timeoutMs + 500,
          reconnect: false,
          name: 'pipesoak-preflight',
        });
      } catch (err) {
        if (signal.aborted) return;
        report({
          status: 'fail',
          problem: `cannot connect to ${shown}: ${networkReason(err)}`,
          fix: 'start NATS with JetStream, or fix target.natsUrl',
        });
        return;
      }
      const close = () => void nc.close().catch(() => undefined);
      signal.addEventListener('abort', close, { once: true });
      try {
        let jsm: JetStreamManager;
        try {
          jsm = await jetstreamManager(nc, { timeout: timeoutMs + 500 });
        } catch (err) {
          if (signal.aborted) return;
          report({
            status: 'fail',
            problem: `${shown} has no JetStream: ${oneLine((err as Error).message)}`,
            fix: 'enable JetStream on the server (nats-server -js)',
          });
          return;
        }
        report(PASS);
        for (const [stream, consumer, keys] of [
          [target.stream, target.consumer, ['stream', 'consumer']],
          [target.dlqStream, target.dlqConsumer, ['dlqStream', 'dlqConsumer']],
        ] as const) {
          if (!(await exists(() => jsm.streams.info(stream), JetStreamApiCodes.StreamNotFound))) {
            report({
              status: 'fail',
              problem: `stream ${stream} not found`,
              fix: `start the pipeline (it creates its streams), or fix target.${keys[0]}`,
            });
            report({ status: 'skip', problem: `not checked: stream ${stream} is missing` });
            continue;
          }
          report(PASS);
          if (
            !(await exists(() => jsm.consumers.info(stream, consumer), JetStreamApiCodes.ConsumerNotFound))
          ) {
            report({
              status: 'fail',
              problem: `consumer ${consumer} not found on stream ${stream}`,
              fix: `start the worker (it creates its durable consumer), or fix target.${keys[1]}`,
            });
          } else report(PASS);
        }
      } finally {
        signal.removeEventListener('abort', close);
        close();
      }
    },
    (check) => ({
      status: 'fail',
      problem:
        check === 'nats'
          ? `${shown} gave no answer within ${timeoutMs} ms`
          : `JetStream took over ${timeoutMs} ms to answer for ${check}`,
      fix: 'check that NATS is up and target.natsUrl points at it',
    }),
  );
}

/** False when the lookup fails with `notFound`; other errors are the check's failure. */
async function exists(lookup: () => Promise<unknown>, notFound: number): Promise<boolean> {
  try {
    await lookup();
    return true;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === notFound) return false;
    throw err;
  }
}

/** `connection refused`, `host not found`, … from a socket error however deep its cause. */
function networkReason(err: unknown): string {
  let e = err as { code?: string; cause?: unknown; message?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.code === 'ECONNREFUSED') return 'connection refused';
    if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return 'host not found';
    if (e.code === 'ECONNRESET') return 'connection reset';
    if (e.code === 'ETIMEDOUT') return 'connection timed out';
    if (e.cause === undefined) break;
    e = e.cause as typeof e;
  }
  return oneLine((err as Error)?.message ?? String(err));
}

function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1));
  } catch {
    return '(unparseable url)';
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
