// Quick probe of the engine's HTTP client (engine/clients/httpClient.ts) beside a bare undici Pool,
// both closed loops at the same connection count against a minimal server in its own process,
// in one run, median of 3. The difference is the client's own cost per request.
//   node --import tsx bench/httpClientProbe.ts [--connections 16] [--seconds 3]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { nowMs } from '../engine/clients/clock.ts';
import { HttpClient } from '../engine/clients/httpClient.ts';
import type { IterationInfo } from '../engine/clients/iterationInfo.ts';

const SERVER = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
s.listen(0, '127.0.0.1', () => process.send(s.address().port));
`;

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '16' }, seconds: { type: 'string', default: '3' } },
});
const C = Number(values.connections);
const MS = Number(values.seconds) * 1000;

async function loops(one: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const end = performance.now() + MS;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (performance.now() < end) {
        await one();
        n++;
      }
    }),
  );
  return n / (MS / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const server = fork('-e', [SERVER], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const [port] = (await once(server, 'message')) as [number];
const url = `http://127.0.0.1:${port}/api/messages`;
try {
  const bareRates: number[] = [];
  const clientRates: number[] = [];
  const signal = new AbortController().signal;
  for (let run = 0; run < 3; run++) {
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: C });
    bareRates.push(
      await loops(async () => {
        const r = await pool.request({ path: '/api/messages', method: 'POST', body: '{"a":1}' });
        await r.body.dump();
      }),
    );
    await pool.close();
    const client = new HttpClient({ recorder: { latency() {}, count() {} }, connectionsPerOrigin: C });
    let k = 0;
    clientRates.push(
      await loops(() => {
        const info: IterationInfo = {
          k: k++,
          correlationId: `r-${k}`,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          intendedStartMs: nowMs(),
          openModel: true,
          signal,
          markAccepted() {},
        };
        return client.request(info, 'POST', url, { json: { a: 1 } });
      }),
    );
    await client.close();
  }
  const b = median(bareRates);
  const c = median(clientRates);
  process.stdout.write(
    `closed loops, ${C} connections, ${MS / 1000} s each, median of 3:\n` +
      `  bare undici Pool:   ${b.toFixed(0)} req/s\n` +
      `  engine HttpClient:  ${c.toFixed(0)} req/s (${(c / b).toFixed(2)}× bare)\n`,
  );
} finally {
  server.kill();
}
