// The reference gateway: accepts messages (message row + outbox row in one transaction) and
// answers chat requests through a synchronous call to the LLM stub.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
import { relayWakeup } from './relayWakeup.ts';
import type { ReferenceSettings } from './settings.ts';

const MAX_ID_CHARS = 200;
const MAX_TEXT_CHARS = 32 * 1024;

interface MessageInput {
  conversationId: string;
  userId: string;
  text: string;
  correlationId?: string;
  poison?: boolean;
}

export async function startGateway(settings: ReferenceSettings, log: Logger): Promise<RunningComponent> {
  const pool = createPool(settings.databaseUrl, settings.gatewayAppName, settings.dbPoolMax, log);
  const subject = `${settings.subjectPrefix}.message.created`;
  const wakeRelay = relayWakeup(pool, log);

  const acceptMessage = async (req: IncomingMessage, res: ServerResponse) => {
    const input = parseMessage(await readJson(req, settings.maxBodyBytes), true);
    const messageId = randomUUID();
    const eventId = randomUUID();
    const correlationId = input.correlationId ?? headerId(req, 'x-correlation-id') ?? messageId;
    const payload = {
      messageId,
      conversationId: input.conversationId,
      userId: input.userId,
      text: input.text,
      correlationId,
      acceptedAt: new Date().toISOString(),
      ...(input.poison === true ? { poison: true } : {}),
    };
    try {
      // One statement, so one round trip and one implicit transaction: both rows or neither.
      await pool.query(
        `WITH message AS (
           INSERT INTO messages (id, conversation_id, user_id, text) VALUES ($1, $2, $3, $4)
         )
         INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload,
           correlation_id, causation_id, traceparent)
         VALUES ($5, 'conversation', $2, 'message.created', $6, $7, $8, $1, $9)`,
        [
          messageId,
          input.conversationId,
          input.userId,
          input.text,
          eventId,
          subject,
          JSON.stringify(payload),
          correlationId,
          validTraceparent(req.headers.traceparent),
        ],
      );
    } catch (err) {
      log.error({ err, messageId, correlationId }, 'message not stored');
      throw new HttpError(503, 'message not stored: database unavailable');
    }
    wakeRelay();
    sendJson(res, 202, { id: messageId, eventId, correlationId });
  };

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    const input = parseMessage(await readJson(req, settings.maxBodyBytes), false);
    const traceparent = validTraceparent(req.headers.traceparent);
    const started = performance.now();
    const reply = await complete(settings.llmUrl, settings.llmTimeoutMs, input.text, traceparent, log);
    sendJson(res, 200, { reply, latencyMs: Math.round(performance.now() - started) });
  };

  const router = createRouter(
    [
      { method: 'POST', path: '/api/messages', handler: acceptMessage },
      { method: 'POST', path: '/api/chat', handler: chat },
      healthRoute(async () => void (await pool.query('SELECT 1')), log),
    ],
    log,
  );
  const http = await listen(router, settings.host, settings.gatewayPort);
  return {
    name: 'gateway',
    url: http.url,
    async close() {
      await http.close();
      await pool.end();
    },
  };
}

/** POSTs the prompt to the LLM stub; any failure (status, timeout, refused) is a 502. */
async function complete(
  llmUrl: string,
  timeoutMs: number,
  prompt: string,
  traceparent: string | null,
  log: Logger,
): Promise<string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (traceparent) headers.traceparent = traceparent;
  let response: Response;
  try {
    response = await fetch(`${llmUrl}/v1/complete`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    log.error({ err }, 'llm call failed');
    throw new HttpError(502, timedOut ? `llm timed out after ${timeoutMs} ms` : 'llm unreachable');
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    log.error({ status: response.status, body: text.slice(0, 200) }, 'llm answered an error');
    throw new HttpError(502, `llm answered ${response.status}`);
  }
  try {
    const body = JSON.parse(text) as { completion?: unknown };
    if (typeof body.completion === 'string') return body.completion;
  } catch {
    // Falls through to the malformed-answer error below.
  }
  log.error({ body: text.slice(0, 200) }, 'llm answer has no completion');
  throw new HttpError(502, 'llm answer has no completion');
}

const MESSAGE_FIELDS = new Set(['conversationId', 'userId', 'text', 'correlationId', 'poison']);

/** Validates a message body, naming every field at fault; `full` admits correlationId and poison. */
function parseMessage(raw: unknown, full: boolean): MessageInput {
  const body = requireObject(raw);
  const problems: string[] = [];
  const allowed = full ? MESSAGE_FIELDS : new Set(['conversationId', 'userId', 'text']);
  const unknown = Object.keys(body).filter((key) => !allowed.has(key));
  if (unknown.length > 0)
    problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);

  const text = (name: string, max: number, optional = false): string | undefined => {
    const value = body[name];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${name} must be a non-empty string`);
    } else if (value.length > max) {
      problems.push(`${name} must be at most ${max} characters`);
    } else {
      return value;
    }
    return undefined;
  };
  const conversationId = text('conversationId', MAX_ID_CHARS);
  const userId = text('userId', MAX_ID_CHARS);
  const messageText = text('text', MAX_TEXT_CHARS);
  const correlationId = full ? text('correlationId', MAX_ID_CHARS, true) : undefined;
  const poison = body.poison;
  if (full && poison !== undefined && typeof poison !== 'boolean') problems.push('poison must be a boolean');

  if (
    problems.length > 0 ||
    conversationId === undefined ||
    userId === undefined ||
    messageText === undefined
  ) {
    throw new HttpError(400, problems.join('; '));
  }
  return {
    conversationId,
    userId,
    text: messageText,
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(typeof poison === 'boolean' ? { poison } : {}),
  };
}

/** A caller-supplied id header, ignored when blank or implausibly long. */
function headerId(req: IncomingMessage, name: string): string | undefined {
  const value = headerValue(req, name);
  return value !== undefined && value.length <= MAX_ID_CHARS ? value : undefined;
}
