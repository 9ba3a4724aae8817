// A stand-in LLM provider: answers completions after a latency drawn from LLM_LATENCY and fails
// a share LLM_ERROR_RATE of them, so the gateway's interactive path has a realistic slow dependency.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningComponent } from './component.ts';
import { createRouter, HttpError, healthRoute, listen, readJson, requireObject, sendJson } from './http.ts';
import { parseLatency } from './latency.ts';
import type { Logger } from './logger.ts';
import type { ReferenceSettings } from './settings.ts';

export async function startLlmStub(settings: ReferenceSettings, log: Logger): Promise<RunningComponent> {
  // Parsed up front so a bad LLM_LATENCY stops the start, not the first request.
  const sampleLatency = parseLatency(settings.llmLatency);

  const complete = async (req: IncomingMessage, res: ServerResponse) => {
    const body = requireObject(await readJson(req, settings.maxBodyBytes));
    const prompt = body.prompt;
    if (typeof prompt !== 'string' || prompt.trim() === '') {
      throw new HttpError(400, 'prompt must be a non-empty string');
    }
    const latencyMs = Math.round(sampleLatency());
    await sleep(latencyMs);
    // Failing after the wait, like a provider that times out or errors mid-generation.
    if (Math.random() < settings.llmErrorRate) throw new HttpError(500, 'injected failure (LLM_ERROR_RATE)');
    sendJson(res, 200, { completion: completionFor(prompt), latencyMs });
  };

  const router = createRouter(
    [{ method: 'POST', path: '/v1/complete', handler: complete }, healthRoute(async () => undefined, log)],
    log,
  );
  const http = await listen(router, settings.host, settings.llmPort);
  return { name: 'llm', url: http.url, close: () => http.close() };
}

/** Deterministic, so a test can check the gateway passed the stub's answer through. */
function completionFor(prompt: string): string {
  const words = prompt.trim().split(/\s+/).length;
  return `stub reply to a ${words}-word prompt: ${prompt.trim().slice(0, 80)}`;
}
