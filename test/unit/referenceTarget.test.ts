import { describe, expect, it } from 'vitest';
import { referenceTarget } from '../../reference/referenceTarget.ts';
import { loadSettings } from '../../reference/settings.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';

describe('reference target', () => {
  it('reference target - takes its names and addresses from the reference settings of the given environment', () => {
    const target = referenceTarget(
      loadSettings({
        REFERENCE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/other',
        STREAM: 'S1',
        CONSUMER: 'c1',
        DLQ_STREAM: 'D1',
        DLQ_CONSUMER: 'd1',
        METRICS_PORT: '9191',
        WORKER_APP_NAME: 'w1',
      }),
    );
    expect(target).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/other',
      stream: 'S1',
      consumer: 'c1',
      dlqStream: 'D1',
      dlqConsumer: 'd1',
      workerMetricsUrl: 'http://127.0.0.1:9191/metrics',
      outbox: {
        table: 'outbox_events',
        idColumn: 'id',
        createdAtColumn: 'created_at',
        publishedAtColumn: 'published_at',
      },
    });
    expect(Object.values(target.applications)).toEqual(['w1', 'sea-mq-relay', 'sea-gateway', 'sea-sink']);
  });

  it('reference target - the pool watches the reference components by default', () => {
    expect(Object.values(referenceTarget(loadSettings({})).applications)).toEqual([
      'sea-mq-worker',
      'sea-mq-relay',
      'sea-gateway',
      'sea-sink',
    ]);
  });

  it('reference target - is a valid config target, unchanged by validation', () => {
    const target = referenceTarget(loadSettings({}));
    expect(validateConfig({ target, load: { rate: 1, duration: '1m' } }).target).toEqual(target);
  });
});
