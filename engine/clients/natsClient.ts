// ctx.nats: core NATS, fire and forget (publish) and request/reply (request), on the worker's one
// connection. Request latency goes to nats.request.latency, from the intended start in the open model.
import type { NatsConnection } from '@nats-io/nats-core';
import { METRIC } from '../../record/metricCatalog.ts';
import { allowManyListeners } from './allowManyListeners.ts';
import { CLIENT_DEFAULTS } from './clientDefaults.ts';
import { nowMs } from './clock.ts';
import type { EngineRecorder } from './engineRecorder.ts';
import { iterationHeaders } from './iterationHeaders.ts';
import type { IterationInfo } from './iterationInfo.ts';
import { type NatsData, natsPayload } from './natsPayload.ts';

export interface NatsPublishOptions {
  headers?: Record<string, string>;
}

export interface NatsRequestOptions extends NatsPublishOptions {
  /** ms to wait for the reply. */
  timeout?: number;
}

export interface NatsReply {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  string(): string;
  json<T = unknown>(): T;
}

/** What a scenario calls; bound to one iteration. */
export interface IterationNats {
  /** Resolves once the message is handed to the connection (no acknowledgement exists). */
  publish(subject: string, data: NatsData, options?: NatsPublishOptions): Promise<void>;
  /** Rejects on a timeout, no responders, or the iteration's abort. */
  request(subject: string, data: NatsData, options?: NatsRequestOptions): Promise<NatsReply>;
}

export interface NatsClientOptions {
  connection: () => Promise<NatsConnection>;
  recorder: EngineRecorder;
}

export class NatsClient {
  constructor(private readonly o: NatsClientOptions) {}

  forIteration(info: IterationInfo): IterationNats {
    return new BoundNats(this, info);
  }

  async publish(info: IterationInfo, subject: string, data: NatsData, options: NatsPublishOptions = {}) {
    info.signal.throwIfAborted();
    const nc = await this.o.connection();
    nc.publish(subject, natsPayload(data), { headers: iterationHeaders(info, undefined, options.headers) });
  }

  async request(
    info: IterationInfo,
    subject: string,
    data: NatsData,
    options: NatsRequestOptions = {},
  ): Promise<NatsReply> {
    info.signal.throwIfAborted();
    allowManyListeners(info.signal);
    const nc = await this.o.connection();
    const sentMs = nowMs();
    const reply = nc.request(subject, natsPayload(data), {
      timeout: options.timeout ?? CLIENT_DEFAULTS.natsRequestTimeoutMs,
      headers: iterationHeaders(info, undefined, options.headers),
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(info.signal.reason);
      info.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const msg = await Promise.race([reply, aborted]);
      const endMs = nowMs();
      this.o.recorder.latency(
        METRIC.natsRequestLatency,
        endMs - (info.openModel ? info.intendedStartMs : sentMs),
      );
      const hdrs: Record<string, string> = {};
      if (msg.headers) for (const k of msg.headers.keys()) hdrs[k] = msg.headers.get(k);
      return {
        subject: msg.subject,
        data: msg.data,
        headers: hdrs,
        string: () => msg.string(),
        json: <T>() => msg.json<T>(),
      };
    } finally {
      if (onAbort) info.signal.removeEventListener('abort', onAbort);
      reply.catch(() => undefined); // an abort leaves the request's own rejection unobserved
    }
  }
}

/** ctx.nats of one iteration: methods on the prototype, not closures per iteration. */
class BoundNats implements IterationNats {
  constructor(
    private readonly client: NatsClient,
    private readonly info: IterationInfo,
  ) {}
  publish(subject: string, data: NatsData, options?: NatsPublishOptions): Promise<void> {
    return this.client.publish(this.info, subject, data, options);
  }
  request(subject: string, data: NatsData, options?: NatsRequestOptions): Promise<NatsReply> {
    return this.client.request(this.info, subject, data, options);
  }
}
