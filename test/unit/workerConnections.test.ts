// The worker's peak connections for the pool check: its own series only, after the warm-up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workerConnectionsMax } from '../../runner/capacity/workerConnections.ts';

const dir = mkdtempSync(join(tmpdir(), 'pipesoak-worker-conns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gauge = (t: number, application: string, state: string, value: number) =>
  JSON.stringify({ t, gauge: 'db.connections', value, tags: { application, state } });

describe('workerConnectionsMax', () => {
  it("reads the worker's db.connections{state=all} after the warm-up, not the other pools", async () => {
    writeFileSync(
      join(dir, 'series.ndjson'),
      `${[
        gauge(500, 'w', 'all', 9), // before run.start
        JSON.stringify({ t: 1000, event: 'run.start', warmUpMs: 2000 }),
        gauge(2000, 'w', 'all', 8), // warm-up
        gauge(3500, 'w', 'all', 5),
        gauge(3500, 'w', 'idle', 7), // one state, not the total
        gauge(3500, 'gw', 'all', 10), // the gateway's pool
        gauge(4500, 'w', 'all', 6),
      ].join('\n')}\n{"t":5000,"gau`,
    );
    expect(await workerConnectionsMax(dir, 'w')).toBe(6);
    expect(await workerConnectionsMax(dir, 'nobody')).toBeNull();
  });
});
