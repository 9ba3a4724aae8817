// The reference sink: the webhook the worker dispatches to. Keeps one `kg_facts` row per event
// (keyed by Nats-Msg-Id) and counts in it how often the effect was applied: every ask, except one
// whose Idempotency-Key matches the key that applied it (a replay, answered from the row and
// counted apart). Injectable failures and delays.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningComponent } from './component.ts';
import { createPool, inTransaction } from './db.ts';
import {
  createRouter,
  HttpError,
  headerValue,
  healthRoute,
  listen,
  readJson,
  requireObject,
  sendJson,
  validTraceparent,
} from './http.ts';
import type { Logger } from './logger.ts';
import type { ReferenceSettings } from './settings.ts';
import { SINK_HEADER_IDEMPOTENCY_KEY } from './worker.ts';

const MAX_ID_CHARS = 200;
const EVENT_TYPE = /^[A-Za-z0-9_.-]{1,200}$/;

/** Tells the caller its answer is the stored one: the key matched, nothing was applied. */
export const SINK_HEADER_REPLAYED = 'Idempotent-Replayed';

/** An ask without a key: applies the effect every time (the first, or once more). */
const APPLY_FACT = `
  INSERT INTO kg_facts (event_id, event_type, correlation_id, traceparent, payload)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (event_id) DO UPDATE
    SET deliveries = kg_facts.deliveries + 1, last_delivery_at = clock_timestamp()
  RETURNING deliveries`;
/** An ask with a key, first step: applies the effect if the event has no fact yet. */
const INSERT_KEYED_FACT = `
  INSERT INTO kg_facts (event_id, event_type, correlation_id, traceparent, payload, idempotency_key)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (event_id) DO NOTHING
  RETURNING deliveries`;
/** Then, when it had one: the fact as it is, locked so two repeats of one key cannot both apply. */
const LOCK_FACT = `SELECT idempotency_key, deliveries FROM kg_facts WHERE event_id = $1 FOR UPDATE`;
const REPLAY_FACT = `UPDATE kg_facts SET replays = replays + 1 WHERE event_id = $1`;
const REAPPLY_FACT = `
  UPDATE kg_facts
    SET deliveries = deliveries + 1, last_delivery_at = clock_timestamp(), idempotency_key = $2
  WHERE event_id = $1
  RETURNING deliveries`;

interface Applied {
  /** How often the effect has been applied, this ask included. */
  deliveries: number;
  /** The key matched: this ask applied nothing. */
  replayed: boolean;
}

export async function startSink(settings: ReferenceSettings, log: Logger): Promise<RunningComponent> {
  const pool = createPool(settings.databaseUrl, settings.sinkAppName, settings.dbPoolMax, log);
  // Starts at SINK_FAIL_RATE; the fault runner changes it mid-run through PUT /admin/fail-rate.
  let failRate = settings.sinkFailRate;

  const receive = async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => {
    const eventType = params.type ?? '';
    if (!EVENT_TYPE.test(eventType)) {
      throw new HttpError(400, `event type "${eventType}" must be 1-200 letters, digits, ".", "_" or "-"`);
    }
    const eventId = headerValue(req, 'nats-msg-id');
    if (eventId === undefined) throw new HttpError(400, 'Nats-Msg-Id header is required');
    if (eventId.length > MAX_ID_CHARS)
      throw new HttpError(400, `Nats-Msg-Id must be at most ${MAX_ID_CHARS} characters`);
    const key = headerValue(req, SINK_HEADER_IDEMPOTENCY_KEY);
    if (key !== undefined && key.length > MAX_ID_CHARS)
      throw new HttpError(400, `${SINK_HEADER_IDEMPOTENCY_KEY} must be at most ${MAX_ID_CHARS} characters`);
    const payload = requireObject(await readJson(req, settings.maxBodyBytes));
    const correlationId =
      headerValue(req, 'x-correlation-id') ??
      (typeof payload.correlationId === 'string' ? payload.correlationId : undefined) ??
      null;

    if (settings.sinkLatencyMs > 0) await sleep(settings.sinkLatencyMs);
    // Both failures answer before any write, so a failed delivery leaves no trace in kg_facts.
    if (Math.random() < failRate) throw new HttpError(500, 'injected failure (SINK_FAIL_RATE)');
    if (settings.sinkFailPoison && payload.poison === true) throw new HttpError(500, 'poison event rejected');

    const fact = [
      eventId,
      eventType,
      correlationId,
      validTraceparent(req.headers.traceparent),
      JSON.stringify(payload),
    ];
    let applied: Applied;
    try {
      applied = key === undefined ? await apply(fact) : await applyOnce(fact, key);
    } catch (err) {
      log.error({ err, eventId, eventType }, 'fact not applied');
      throw new HttpError(503, 'fact not applied: database unavailable');
    }
    // Test-only (SINK_ANSWER_DELAY_MS): the effect is committed, the answer is slow to get back, so
    // a caller killed meanwhile has had its effect applied without knowing it.
    if (settings.sinkAnswerDelayMs > 0) await sleep(settings.sinkAnswerDelayMs);
    sendJson(
      res,
      200,
      { eventId, deliveries: applied.deliveries },
      applied.replayed ? { [SINK_HEADER_REPLAYED]: 'true' } : {},
    );
  };

  const apply = async (fact: unknown[]): Promise<Applied> => {
    const { rows } = await pool.query<{ deliveries: number }>(APPLY_FACT, fact);
    return { deliveries: rows[0]?.deliveries ?? 0, replayed: false };
  };

  const applyOnce = async (fact: unknown[], key: string): Promise<Applied> => {
    const first = await pool.query<{ deliveries: number }>(INSERT_KEYED_FACT, [...fact, key]);
    const inserted = first.rows[0];
    if (inserted) return { deliveries: inserted.deliveries, replayed: false };
    // Rare (a repeat): a transaction only for it. The row exists, as the insert's conflict said.
    return inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ idempotency_key: string | null; deliveries: number }>(LOCK_FACT, [
        fact[0],
      ]);
      const row = rows[0];
      if (!row) throw new Error(`fact ${String(fact[0])} vanished between insert and lock`);
      if (row.idempotency_key === key) {
        await client.query(REPLAY_FACT, [fact[0]]);
        return { deliveries: row.deliveries, replayed: true };
      }
      // Applied before without a key, or under another one: this is a new request, applied again.
      const again = await client.query<{ deliveries: number }>(REAPPLY_FACT, [fact[0], key]);
      return { deliveries: again.rows[0]?.deliveries ?? 0, replayed: false };
    });
  };

  const setFailRate = async (req: IncomingMessage, res: ServerResponse) => {
    const share = requireObject(await readJson(req, 1024)).share;
    if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
      throw new HttpError(400, 'share must be a number from 0 to 1');
    }
    failRate = share;
    log.info({ share }, 'fail rate changed');
    sendJson(res, 200, { share });
  };

  const router = createRouter(
    [
      { method: 'POST', path: '/api/events/:type', handler: receive },
      // Same listener (and address) as the webhook: no second port to expose or forget.
      {
        method: 'GET',
        path: '/admin/fail-rate',
        handler: async (_req, res) => sendJson(res, 200, { share: failRate }),
      },
      { method: 'PUT', path: '/admin/fail-rate', handler: setFailRate },
      healthRoute(async () => void (await pool.query('SELECT 1')), log),
    ],
    log,
  );
  const http = await listen(router, settings.host, settings.sinkPort);
  return {
    name: 'sink',
    url: http.url,
    async close() {
      await http.close();
      await pool.end();
    },
  };
}
