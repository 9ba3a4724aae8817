// The reference sink: the webhook the worker dispatches to. Applies each event once as a
// `kg_facts` row keyed by Nats-Msg-Id and counts every delivery, with injectable failures and delay.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningComponent } from './component.ts';
import { createPool } from './db.ts';
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

const MAX_ID_CHARS = 200;
const EVENT_TYPE = /^[A-Za-z0-9_.-]{1,200}$/;

const APPLY_FACT = `
  INSERT INTO kg_facts (event_id, event_type, correlation_id, traceparent, payload)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (event_id) DO UPDATE
    SET deliveries = kg_facts.deliveries + 1, last_delivery_at = clock_timestamp()
  RETURNING deliveries`;

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
    const payload = requireObject(await readJson(req, settings.maxBodyBytes));
    const correlationId =
      headerValue(req, 'x-correlation-id') ??
      (typeof payload.correlationId === 'string' ? payload.correlationId : undefined) ??
      null;

    if (settings.sinkLatencyMs > 0) await sleep(settings.sinkLatencyMs);
    // Both failures answer before any write, so a failed delivery leaves no trace in kg_facts.
    if (Math.random() < failRate) throw new HttpError(500, 'injected failure (SINK_FAIL_RATE)');
    if (settings.sinkFailPoison && payload.poison === true) throw new HttpError(500, 'poison event rejected');

    let deliveries: number;
    try {
      const result = await pool.query<{ deliveries: number }>(APPLY_FACT, [
        eventId,
        eventType,
        correlationId,
        validTraceparent(req.headers.traceparent),
        JSON.stringify(payload),
      ]);
      deliveries = result.rows[0]?.deliveries ?? 0;
    } catch (err) {
      log.error({ err, eventId, eventType }, 'fact not applied');
      throw new HttpError(503, 'fact not applied: database unavailable');
    }
    sendJson(res, 200, { eventId, deliveries });
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
