// ctx.http against a real node:http server: what it measures, tags, sends, and that bodies never stall the pool.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../engine/clients/clock.ts';
import { HttpClient, pathTemplate } from '../../../engine/clients/httpClient.ts';
import { METRIC } from '../../../record/metricCatalog.ts';
import { RecordingEngineRecorder, testIteration } from '../../support/engineRecording.ts';

let server: Server;
let base: string;
let connections = 0;
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
const BIG = 'x'.repeat(256 * 1024);

function handle(req: IncomingMessage, res: ServerResponse) {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    const path = req.url ?? '';
    if (path.startsWith('/slow')) {
      setTimeout(() => res.end('late'), 1000);
      return;
    }
    if (path.startsWith('/fail')) {
      res.writeHead(500).end('no');
      return;
    }
    if (path.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(BIG);
      return;
    }
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, echo: body }));
  });
}

beforeAll(async () => {
  server = createServer(handle);
  server.on('connection', () => {
    connections++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

function client(recorder: RecordingEngineRecorder, connectionsPerOrigin = 4, timeoutMs?: number) {
  return new HttpClient({ recorder, connectionsPerOrigin, ...(timeoutMs ? { timeoutMs } : {}) });
}

describe('HttpClient', () => {
  it('measures gateway.latency from the intended start and gateway.service_time from the send', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    // An iteration that starts 400 ms late (a stalled generator or a queue before it).
    const info = testIteration(1, { intendedStartMs: nowMs() - 400 });
    const res = await c.forIteration(info).post(`${base}/api/messages`, { json: { a: 1 } });
    await c.close();
    expect(res.status).toBe(202);
    const [latency] = r.values(METRIC.gatewayLatency, { name: 'POST /api/messages' });
    const [service] = r.values(METRIC.gatewayServiceTime, { name: 'POST /api/messages' });
    expect(latency).toBeGreaterThanOrEqual(400);
    expect(service).toBeLessThan(300);
    expect((latency as number) - (service as number)).toBeGreaterThanOrEqual(400);
  });

  it('records service time only in the closed model', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    await c.forIteration(testIteration(2, { openModel: false })).get(`${base}/x`);
    await c.close();
    expect(r.values(METRIC.gatewayLatency)).toEqual([]);
    expect(r.values(METRIC.gatewayServiceTime)).toHaveLength(1);
  });

  it('tags http.requests by status, counts a 5xx as an error, marks only 2xx accepted, and never throws on a status', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const ok = testIteration(3);
    const bad = testIteration(4);
    expect((await c.forIteration(ok).post(`${base}/ok`)).status).toBe(202);
    expect((await c.forIteration(bad).post(`${base}/fail`)).status).toBe(500);
    await c.close();
    expect(r.total(METRIC.httpRequests, { status: '202' })).toBe(1);
    expect(r.total(METRIC.httpRequests, { status: '500' })).toBe(1);
    expect(ok.accepted).toBe(1);
    expect(bad.accepted).toBe(0);
    expect(r.total(METRIC.httpErrors)).toBe(1);
    expect(r.total(METRIC.httpErrors, { code: '500' })).toBe(1);
  });

  it('sends traceparent, x-correlation-id and the JSON body, and parses JSON when asked', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const info = testIteration(5);
    const res = await c
      .forIteration(info)
      .post(`${base}/echo`, { json: { hello: 'world' }, headers: { 'x-extra': 'y' }, read: 'json' });
    await c.close();
    const req = seen.find((s) => s.url === '/echo');
    expect(req?.headers.traceparent).toBe(info.traceparent);
    expect(req?.headers['x-correlation-id']).toBe('run-5');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-extra']).toBe('y');
    expect(req?.body).toBe('{"hello":"world"}');
    expect(res.json).toEqual({ ok: true, echo: '{"hello":"world"}' });
    expect(res.status).toBe(202);
    expect(res.headers['content-type']).toBe('application/json');
    // headers are parsed on first read, and a logged response still shows them
    expect(JSON.parse(JSON.stringify(res))).toEqual({
      status: 202,
      headers: expect.objectContaining({ 'content-type': 'application/json' }),
      json: { ok: true, echo: '{"hello":"world"}' },
      text: '{"ok":true,"echo":"{\\"hello\\":\\"world\\"}"}',
    });
  });

  it("sends the engine's headers once without scenario headers, and lets a scenario's header replace one", async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const plain = testIteration(21);
    const own = testIteration(22);
    await c.forIteration(plain).post(`${base}/plain`, { json: { a: 1 } });
    await c
      .forIteration(own)
      .post(`${base}/own`, { json: { a: 1 }, headers: { 'content-type': 'application/vnd.x+json' } });
    await c.close();
    const p = seen.find((s) => s.url === '/plain');
    expect(p?.headers.traceparent).toBe(plain.traceparent);
    expect(p?.headers['x-correlation-id']).toBe('run-21');
    expect(p?.headers['content-type']).toBe('application/json');
    const o = seen.find((s) => s.url === '/own');
    expect(o?.headers['content-type']).toBe('application/vnd.x+json');
    expect(o?.headers.traceparent).toBe(own.traceparent);
  });

  it('splits gateway.latency by the name tag, defaulting to method and path template', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const http = c.forIteration(testIteration(6));
    await http.get(`${base}/api/events/123?x=1`);
    await http.get(`${base}/api/events/0b7a9c1e-2f4d-4c1a-9e3b-5d6f7a8b9c0d`);
    await http.post(`${base}/api/messages`, { name: 'send' });
    await c.close();
    expect(r.values(METRIC.gatewayLatency, { name: 'GET /api/events/:id' })).toHaveLength(2);
    expect(r.values(METRIC.gatewayLatency, { name: 'send' })).toHaveLength(1);
    expect(pathTemplate('/api/v2/users/42/orders')).toBe('/api/v2/users/:id/orders');
  });

  it('consumes every body: one connection serves 200 requests for 256 kB bodies nobody reads', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r, 1);
    const before = connections;
    const http = c.forIteration(testIteration(7));
    const res = await Promise.all(Array.from({ length: 200 }, () => http.get(`${base}/big`)));
    await c.close();
    expect(res.every((x) => x.status === 200)).toBe(true);
    expect(r.total(METRIC.httpRequests, { status: '200' })).toBe(200);
    expect(connections - before).toBe(1);
  });

  it('counts a timeout in http.errors by its code and returns status 0', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const info = testIteration(8);
    const res = await c.forIteration(info).get(`${base}/slow`, { timeout: 100 });
    await c.close();
    expect(res).toMatchObject({ status: 0, error: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(r.total(METRIC.httpErrors, { code: 'UND_ERR_HEADERS_TIMEOUT' })).toBe(1);
    expect(r.values(METRIC.gatewayLatency)).toEqual([]);
    expect(info.accepted).toBe(0);
  });

  it('counts a refused connection in http.errors', async () => {
    const dead = createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const port = (dead.address() as AddressInfo).port;
    dead.close();
    await once(dead, 'close');
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const res = await c.forIteration(testIteration(9)).get(`http://127.0.0.1:${port}/`);
    await c.close();
    expect(res).toMatchObject({ status: 0, error: 'ECONNREFUSED' });
    expect(r.total(METRIC.httpErrors, { code: 'ECONNREFUSED' })).toBe(1);
  });

  it('throws on abort, without counting an http error', async () => {
    const r = new RecordingEngineRecorder();
    const c = client(r);
    const ac = new AbortController();
    const pending = c.forIteration(testIteration(10, { signal: ac.signal })).get(`${base}/slow`);
    setTimeout(() => ac.abort(new Error('graceful stop')), 50);
    await expect(pending).rejects.toThrow('graceful stop');
    await c.close();
    expect(r.total(METRIC.httpErrors)).toBe(0);
  });
});
