// A worker thread of the engine: imports the scenario bundle, makes one set of clients, runs its
// stripe of every executor from the shared start instant, and ships interval histograms, counter
// deltas and accepted indices to the main thread every second.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { readDataset } from '../generators/readDataset.ts';
import { loadClientSeam } from './clientSeam.ts';
import { nowMs } from './clock.ts';
import { TICK_MS } from './engineDefaults.ts';
import { planMaxVUs } from './executors/executorPlan.ts';
import { runArrival } from './run/arrivalRunner.ts';
import { type IterationFn, ScenarioRun } from './run/scenarioRun.ts';
import { runVus } from './run/vusRunner.ts';
import { stripeFromSpec } from './segment.ts';
import type { VuPool } from './vuPool.ts';
import type { MainToWorker, WorkerInit, WorkerToMain } from './workerProtocol.ts';
import { initRecorderWasm, WorkerRecorder } from './workerRecorder.ts';

if (parentPort === null) throw new Error('engine/workerMain.ts runs only as a worker thread');
const port: MessagePort = parentPort;
const init = workerData as WorkerInit;
const post = (m: WorkerToMain): void => port.postMessage(m);

// Stacks of errors thrown in the scenario name its .ts file and line (the bundle has a source map).
process.setSourceMapsEnabled(true);

async function loadItems(): Promise<readonly unknown[]> {
  const d = init.dataset;
  if (d === undefined) return [];
  if ('items' in d) return d.items;
  return (await readDataset(d.path)).items;
}

async function main(): Promise<void> {
  await initRecorderWasm();
  const recorder = new WorkerRecorder();
  const bundle = (await import(pathToFileURL(init.bundlePath).href)) as Record<string, unknown>;
  const seam = await loadClientSeam(init.clientsModule);
  const clients = await seam.createClients({
    target: init.target as { gatewayUrl: string; natsUrl: string },
    recorder,
    httpConnectionsPerOrigin: Math.max(1, init.httpConnections),
    needsNats: init.needsNats,
  });
  const items = await loadItems();
  const stripe = stripeFromSpec(init.stripe);

  let accepted: number[] = [];
  let started = 0;
  const pools: VuPool[] = [];
  let closedVus = 0;
  const errorMessages = new Set<string>();
  const deps = {
    runId: init.runId,
    seam,
    clients,
    recorder,
    target: init.target,
    items,
    accepted: (k: number) => accepted.push(k),
    started: () => {
      started++;
    },
    errorMessages,
  };
  const runs = init.scenarios.map((s) => {
    const fn = bundle[s.plan.exec];
    if (typeof fn !== 'function')
      throw new Error(`scenario bundle has no exported function "${s.plan.exec}"`);
    return new ScenarioRun(s.plan, fn as IterationFn, deps);
  });

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let elu = performance.eventLoopUtilization();
  let lastReport = nowMs();
  const report = (): void => {
    const now = nowMs();
    const { histograms, counters } = recorder.drain();
    const nextElu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(nextElu, elu).utilization;
    elu = nextElu;
    post({
      type: 'report',
      worker: init.worker,
      startMs: lastReport,
      endMs: now,
      histograms,
      counters,
      accepted,
      started,
      vus: pools.reduce((sum, p) => sum + p.size, 0) + closedVus,
      loopDelayP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : 0,
      loopUtilization: utilization,
    });
    loop.reset();
    accepted = [];
    started = 0;
    lastReport = now;
  };

  let setupData: unknown;
  let reporter: NodeJS.Timeout | undefined;
  port.on('message', (m: MainToWorker) => {
    void handle(m).catch((err: unknown) =>
      post({ type: 'fatal', message: (err as Error).stack ?? String(err) }),
    );
  });

  async function handle(m: MainToWorker): Promise<void> {
    switch (m.type) {
      case 'setup': {
        const setup = bundle.setup;
        setupData = typeof setup === 'function' ? await setup({ target: init.target }) : undefined;
        post({ type: 'setupDone', data: setupData });
        return;
      }
      case 'start': {
        reporter = setInterval(report, TICK_MS);
        await Promise.all(
          runs.map(async (run, i) => {
            const s = init.scenarios[i];
            if (s === undefined) return;
            const startMs = m.startAtMs + s.plan.startTimeMs;
            await run.sleepUntil(startMs);
            while (!run.stopping && nowMs() < startMs) await run.sleepUntil(startMs);
            if (run.stopping) return;
            if (s.plan.model === 'arrival') {
              await runArrival(run, s.plan, stripe, startMs, s.kBase, (p) => pools.push(p));
            } else {
              const index = {
                maxVUs: planMaxVUs(s.plan),
                kBase: s.kBase,
                closedCount: s.closedCount,
                closedIndex: s.closedIndex,
              };
              await runVus(run, s.plan, stripe, startMs, index, (d) => {
                closedVus += d;
              });
            }
          }),
        );
        clearInterval(reporter);
        report();
        post({ type: 'finished' });
        return;
      }
      case 'stop':
        for (const run of runs) {
          if (run.stopping) continue;
          run.stop();
          void run.finish(nowMs() + run.plan.gracefulStopMs);
        }
        return;
      case 'stopNow':
        for (const run of runs) run.cutNow();
        return;
      case 'teardown': {
        const teardown = bundle.teardown;
        if (typeof teardown === 'function')
          await teardown({ target: init.target, setupData: m.setupData ?? setupData });
        post({ type: 'teardownDone' });
        return;
      }
      case 'close':
        clearInterval(reporter);
        await clients.close();
        recorder.destroy();
        loop.disable();
        post({ type: 'closed' }); // the main thread terminates this worker on receipt
        return;
    }
  }

  post({ type: 'ready' });
}

main().catch((err: unknown) => post({ type: 'fatal', message: (err as Error).stack ?? String(err) }));
