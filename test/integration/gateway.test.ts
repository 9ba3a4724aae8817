import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComponent } from '../../reference/component.ts';
import { startGateway } from '../../reference/gateway.ts';
import { startLlmStub } from '../../reference/llmStub.ts';
import { createLogger } from '../../reference/logger.ts';
import { loadSettings } from '../../reference/settings.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const log = createLogger('gateway-test', 'silent');
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const FAIL_MARKER = 'FAIL-THE-OUTBOX-INSERT';

let env: TestEnv;
let gatewayUrl: string;
const running: RunningComponent[] = [];

async function start(
  starter: typeof startGateway | typeof startLlmStub,
  overrides: Record<string, string>,
): Promise<string> {
  const component = await starter(loadSettings({ ...env.env, ...overrides }), log);
  running.push(component);
  return component.url ?? '';
}

async function counts(): Promise<{ messages: number; outbox: number }> {
  const { rows } = await env.db.query<{ messages: number; outbox: number }>(
    `SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM outbox_events)::int AS outbox`,
  );
  return rows[0] ?? { messages: -1, outbox: -1 };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const valid = { conversationId: 'conv-1', userId: 'user-1', text: 'hello there' };

beforeAll(async () => {
  env = await createTestEnv('gateway');
  const llmUrl = await start(startLlmStub, { LLM_LATENCY: 'fixed:20' });
  gatewayUrl = await start(startGateway, { LLM_URL: llmUrl });
  // Makes the outbox insert, the second statement of the transaction, fail for a marker text.
  await env.db.query(`
    CREATE FUNCTION fail_marked_outbox() RETURNS trigger AS $$
    BEGIN
      IF NEW.payload->>'text' = '${FAIL_MARKER}' THEN RAISE EXCEPTION 'forced outbox failure'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER fail_marked_outbox BEFORE INSERT ON outbox_events
      FOR EACH ROW EXECUTE FUNCTION fail_marked_outbox();`);
});

afterAll(async () => {
  await Promise.all(running.map((c) => c.close()));
  await env?.teardown();
});

describe('gateway', () => {
  it('gateway - accepts a message with one message row and one matching outbox row', async () => {
    const before = await counts();
    const res = await post(`${gatewayUrl}/api/messages`, valid, {
      traceparent: TRACEPARENT,
      'X-Correlation-Id': 'corr-from-header',
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; eventId: string; correlationId: string };
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.eventId).not.toBe(body.id);
    expect(body.correlationId).toBe('corr-from-header');
    expect(await counts()).toEqual({ messages: before.messages + 1, outbox: before.outbox + 1 });

    const message = await env.db.query('SELECT conversation_id, user_id, text FROM messages WHERE id = $1', [
      body.id,
    ]);
    expect(message.rows).toEqual([{ conversation_id: 'conv-1', user_id: 'user-1', text: 'hello there' }]);
    const outbox = await env.db.query('SELECT * FROM outbox_events WHERE id = $1', [body.eventId]);
    expect(outbox.rows).toHaveLength(1);
    const row = outbox.rows[0];
    expect(row).toMatchObject({
      aggregate_type: 'conversation',
      aggregate_id: 'conv-1',
      event_type: 'message.created',
      subject: `${env.settings.subjectPrefix}.message.created`,
      correlation_id: 'corr-from-header',
      causation_id: body.id,
      traceparent: TRACEPARENT,
      published_at: null,
    });
    expect(row.payload).toEqual({
      messageId: body.id,
      conversationId: 'conv-1',
      userId: 'user-1',
      text: 'hello there',
      correlationId: 'corr-from-header',
      acceptedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('gateway - the body correlationId wins over the header, and it defaults to the message id', async () => {
    const fromBody = await post(
      `${gatewayUrl}/api/messages`,
      { ...valid, correlationId: 'corr-from-body', poison: true },
      { 'X-Correlation-Id': 'corr-from-header' },
    );
    expect(fromBody.status).toBe(202);
    const a = (await fromBody.json()) as { eventId: string; correlationId: string };
    expect(a.correlationId).toBe('corr-from-body');
    const rowA = await env.db.query('SELECT correlation_id, payload FROM outbox_events WHERE id = $1', [
      a.eventId,
    ]);
    expect(rowA.rows[0]?.correlation_id).toBe('corr-from-body');
    expect(rowA.rows[0]?.payload.poison).toBe(true);

    const bare = await post(`${gatewayUrl}/api/messages`, valid, { traceparent: 'not-a-traceparent' });
    const b = (await bare.json()) as { id: string; eventId: string; correlationId: string };
    expect(b.correlationId).toBe(b.id);
    const rowB = await env.db.query('SELECT correlation_id, traceparent FROM outbox_events WHERE id = $1', [
      b.eventId,
    ]);
    expect(rowB.rows).toEqual([{ correlation_id: b.id, traceparent: null }]);
  });

  it('gateway - a message whose transaction fails leaves neither message row nor outbox row', async () => {
    const before = await counts();
    const res = await post(`${gatewayUrl}/api/messages`, { ...valid, text: FAIL_MARKER });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: expect.stringContaining('not stored') });
    expect(await counts()).toEqual(before);
    const orphans = await env.db.query('SELECT 1 FROM messages WHERE text = $1', [FAIL_MARKER]);
    expect(orphans.rowCount).toBe(0);
    // The pool is still healthy afterwards: the failed transaction was rolled back, not leaked.
    expect((await post(`${gatewayUrl}/api/messages`, valid)).status).toBe(202);
  });

  const big = { ...valid, text: 'x'.repeat(300 * 1024) };
  it.each([
    ['malformed JSON', '{"conversationId": "c", ', 400, 'not valid JSON'],
    ['an empty body', '', 400, 'empty'],
    ['an array body', [valid], 400, 'must be a JSON object, got an array'],
    ['a null body', 'null', 400, 'must be a JSON object, got null'],
    ['a missing field', { conversationId: 'c', userId: 'u' }, 400, 'text must be a non-empty string'],
    ['a wrong-typed field', { ...valid, userId: 42 }, 400, 'userId must be a non-empty string'],
    ['an empty string', { ...valid, conversationId: '' }, 400, 'conversationId must be a non-empty string'],
    ['a wrong-typed poison', { ...valid, poison: 'yes' }, 400, 'poison must be a boolean'],
    ['an unknown field', { ...valid, admin: true }, 400, 'unknown field admin'],
    ['a text over 32 KiB', { ...valid, text: 'x'.repeat(40_000) }, 400, 'text must be at most'],
    ['a body over 256 KiB', big, 413, 'larger than 262144 bytes'],
  ])('gateway - %s is refused and writes nothing', async (_case, body, status, message) => {
    const before = await counts();
    const res = await post(`${gatewayUrl}/api/messages`, body);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toContain(message);
    expect(await counts()).toEqual(before);
  });

  it('gateway - names every faulty field at once', async () => {
    const res = await post(`${gatewayUrl}/api/messages`, { conversationId: 1, text: '' });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toContain('conversationId must be a non-empty string');
    expect(error).toContain('userId must be a non-empty string');
    expect(error).toContain('text must be a non-empty string');
  });

  it('gateway - a chunked body over 256 KiB is cut off with 413 and nothing is written', async () => {
    const before = await counts();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gatewayUrl}/api/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      // The server drops the connection after answering; a write racing that is expected.
      req.on('error', (err) =>
        err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? null : reject(err),
      );
      req.write('{"conversationId":"c","userId":"u","text":"');
      const chunk = 'y'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 8 && req.write(chunk)) sent++;
        if (sent < 8) req.once('drain', pump);
        else req.end('"}');
      };
      pump();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({ error: expect.stringContaining('larger than') });
    expect(await counts()).toEqual(before);
  });

  it('gateway - a wrong method is 405 with Allow, an unknown path 404, a text/plain JSON body is accepted', async () => {
    const before = await counts();
    const get = await fetch(`${gatewayUrl}/api/messages`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toEqual({ error: expect.stringContaining('GET') });
    const missing = await post(`${gatewayUrl}/api/nothing`, valid);
    expect(missing.status).toBe(404);
    const text = await post(`${gatewayUrl}/api/messages`, JSON.stringify(valid), {
      'Content-Type': 'text/plain',
    });
    expect(text.status).toBe(202);
    expect(await counts()).toEqual({ messages: before.messages + 1, outbox: before.outbox + 1 });
  });

  it('gateway - healthz answers ok when the database does', async () => {
    const res = await fetch(`${gatewayUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('gateway - without a database, healthz is 503 and a message is 503', async () => {
    const url = await start(startGateway, {
      REFERENCE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false });
    const res = await post(`${url}/api/messages`, valid);
    expect(res.status).toBe(503);
  });

  it('gateway - chat returns the LLM stub reply', async () => {
    const res = await post(`${gatewayUrl}/api/chat`, valid, { traceparent: TRACEPARENT });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { reply: string; latencyMs: number };
    expect(body.reply).toBe('stub reply to a 2-word prompt: hello there');
    expect(body.latencyMs).toBeGreaterThanOrEqual(19);
  });

  it('gateway - chat writes nothing and validates like messages', async () => {
    const before = await counts();
    expect((await post(`${gatewayUrl}/api/chat`, valid)).status).toBe(200);
    const bad = await post(`${gatewayUrl}/api/chat`, { ...valid, text: 5 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'text must be a non-empty string' });
    expect(await counts()).toEqual(before);
  });

  it('gateway - chat is 502 when the LLM fails or is unreachable', async () => {
    const failingLlm = await start(startLlmStub, { LLM_LATENCY: 'fixed:1', LLM_ERROR_RATE: '1' });
    const viaFailing = await start(startGateway, { LLM_URL: failingLlm });
    const failed = await post(`${viaFailing}/api/chat`, valid);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ error: 'llm answered 500' });

    const viaNothing = await start(startGateway, { LLM_URL: 'http://127.0.0.1:1' });
    const unreachable = await post(`${viaNothing}/api/chat`, valid);
    expect(unreachable.status).toBe(502);
    expect(await unreachable.json()).toEqual({ error: 'llm unreachable' });
  });
});
