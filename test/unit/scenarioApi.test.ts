// The scenario API's small runtime: checks and custom metrics through the context, the poison pick
// by share, derived UUIDs, path templates and error keys.
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIterationContext } from '../../engine/api/context.ts';
import { uuidFrom } from '../../engine/api/uuidFrom.ts';
import { pathTemplate } from '../../engine/clients/httpClient.ts';
import { iterationErrorKey, scenarioFrame } from '../../engine/compile/errorLocation.ts';
import { datasetItems } from '../../generators/datasetItems.ts';
import { datasetOptions } from '../../generators/datasetOptions.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { eventBody, eventBytes, eventJson, eventType, pickedByShare } from '../../scenarios/shared/bodies.ts';
import { RecordingEngineRecorder, testIteration } from '../support/engineRecording.ts';

function context(recorder: RecordingEngineRecorder) {
  const info = testIteration(41, { intendedStartMs: 1234.5 });
  return createIterationContext({
    info,
    clients: { http: undefined as never, jetstream: undefined as never, nats: undefined as never },
    recorder,
    vu: 3,
    iteration: 9,
    data: { seq: 1 },
    target: { gatewayUrl: 'http://127.0.0.1:8080', natsUrl: 'nats://127.0.0.1:4222' },
    scenarioTags: { scenario: 'steady' },
  });
}

describe('createIterationContext', () => {
  it('carries the iteration identity and timing', () => {
    const ctx = context(new RecordingEngineRecorder());
    expect(ctx).toMatchObject({ vu: 3, iteration: 9, k: 41, intendedStart: 1234.5, correlationId: 'run-41' });
    expect(ctx.data).toEqual({ seq: 1 });
    expect(ctx.target.gatewayUrl).toBe('http://127.0.0.1:8080');
  });

  it('check counts each named predicate as passed or failed, a throwing one as failed', () => {
    const r = new RecordingEngineRecorder();
    const ctx = context(r);
    const all = ctx.check({ status: 500 } as { status: number; json?: { id: string } }, {
      'is 202': (v) => v.status === 202,
      'is a response': (v) => v.status > 0,
      'has an id': (v) => (v.json as { id: string }).id.length > 0,
    });
    expect(all).toBe(false);
    expect(r.total(METRIC.checksFailed, { check: 'is 202', scenario: 'steady' })).toBe(1);
    expect(r.total(METRIC.checksPassed, { check: 'is a response', scenario: 'steady' })).toBe(1);
    expect(r.total(METRIC.checksFailed, { check: 'has an id' })).toBe(1);
    expect(ctx.check(1, { one: (v) => v === 1 })).toBe(true);
  });

  it('custom metrics go to custom.<name>, tagged with the scenario and their own tags', () => {
    const r = new RecordingEngineRecorder();
    const ctx = context(r);
    ctx.metrics.trend('think_time').add(7.5, { step: 'a' });
    ctx.metrics.counter('retries').add();
    ctx.metrics.counter('retries').add(4);
    expect(r.latencies).toEqual([
      { metric: 'custom.think_time', valueMs: 7.5, tags: { scenario: 'steady', step: 'a' } },
    ]);
    expect(r.total('custom.retries', { scenario: 'steady' })).toBe(5);
  });
});

describe('pickedByShare', () => {
  it('picks exactly floor(share × n) of the first n iterations, for any share and n', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5000 }),
        (share, n) => {
          let picked = 0;
          for (let k = 0; k < n; k++) if (pickedByShare(k, share)) picked++;
          return picked === Math.floor(share * n);
        },
      ),
    );
  });
});

describe('uuidFrom', () => {
  it('is a version 5 layout UUID, the same for the same name and different for another', () => {
    const a = uuidFrom('run1-0');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFrom('run1-0')).toBe(a);
    expect(uuidFrom('run1-1')).not.toBe(a);
  });
});

describe('pathTemplate', () => {
  it('replaces numeric, UUID and long hex segments and drops the query', () => {
    expect(pathTemplate('/api/messages')).toBe('/api/messages');
    expect(pathTemplate('/api/events/7/facts/0b7a9c1e-2f4d-4c1a-9e3b-5d6f7a8b9c0d?x=1')).toBe(
      '/api/events/:id/facts/:id',
    );
    expect(pathTemplate('/blobs/0123456789abcdef0123')).toBe('/blobs/:id');
    expect(pathTemplate('/v2/users')).toBe('/v2/users');
  });
});

describe('iterationErrorKey', () => {
  it("skips Node's, packages' and the engine's frames, and puts the scenario's file:line first", () => {
    const engineFile = resolve('engine/clients/httpClient.ts');
    const err = new Error('boom\nsecond line');
    err.stack = [
      'Error: boom',
      `    at get (${engineFile}:90:11)`,
      `    at ${resolve('node_modules/undici/lib/api/api-request.js')}:10:3`,
      '    at node:internal/process/task_queues:95:5',
      '    at async default (file:///home/u/scenarios/steady.ts:14:3)',
    ].join('\n');
    expect(scenarioFrame(err)).toBe('steady.ts:14');
    expect(iterationErrorKey(err)).toBe('steady.ts:14: boom');
    expect(iterationErrorKey('plain string')).toBe('plain string');
    expect(iterationErrorKey(new Error('x'.repeat(500)), 50)).toHaveLength(50);
  });
});

describe('eventJson', () => {
  // A stand-in ctx: eventBody and eventJson read k, data and correlationId only.
  const ctxOf = (k: number, data: unknown, runId: string) =>
    ({ k, data, correlationId: `${runId}-${k}` }) as Parameters<typeof eventJson>[0];

  it('is JSON.stringify(eventBody(ctx)) byte for byte, with a dataset and without, ids needing escapes', () => {
    const items = datasetItems(datasetOptions({ kind: 'event', seed: 7, count: 50 }));
    for (const runId of ['run', 'r"un\\é\u0001\n', 'steady-20261202-054744.a:b_c']) {
      for (let k = 0; k < 200; k++) {
        for (const data of [items[k % items.length], undefined]) {
          const ctx = ctxOf(k, data, runId);
          const json = JSON.stringify(eventBody(ctx));
          expect(eventJson(ctx)).toBe(json);
          expect(Buffer.from(eventBytes(ctx)).equals(Buffer.from(json))).toBe(true);
          expect(eventType(ctx)).toBe(eventBody(ctx).eventType);
        }
      }
    }
  });

  it('a dataset body holding the template marker is stringified whole, still exact', () => {
    const item = {
      body: {
        eventType: 'x.y',
        aggregateType: 'a',
        aggregateId: 'PIPESOAK_CORRELATION_ID_9d41c7',
        correlationId: '',
        data: {},
      },
    };
    const ctx = ctxOf(3, item, 'run');
    expect(eventJson(ctx)).toBe(JSON.stringify(eventBody(ctx)));
    expect(JSON.parse(eventJson(ctx)).aggregateId).toBe('PIPESOAK_CORRELATION_ID_9d41c7');
    expect(Buffer.from(eventBytes(ctx)).toString()).toBe(JSON.stringify(eventBody(ctx)));
  });
});
