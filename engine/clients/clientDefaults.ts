// The clients' defaults, in one place.
export const CLIENT_DEFAULTS = {
  /** Whole request (headers and body each) when the scenario gives no timeout: the gateway's SLO is far below. */
  httpTimeoutMs: 30_000,
  /** TCP connect on loopback or a LAN takes milliseconds; 10 s means the target is not there. */
  httpConnectTimeoutMs: 10_000,
  /** Idle keep-alive sockets are closed after this; the target's own keep-alive is usually 5 s. */
  httpKeepAliveTimeoutMs: 4_000,
  /**
   * In-flight JetStream publishes per worker. Measured here (bench/jetstreamClientProbe.ts), 256
   * beat 1,024 (the server's file store acks a shorter queue sooner), and it bounds what a stalled
   * broker can collect; 512 covers nats bench's --batch 500, whose 500 in flight the JetStream
   * bench's 500 VUs now match instead of queueing half behind 256. Two sets of 3 alternating runs of
   * bench/engineJetstream.ts (load 7-14): ratio to nats bench 0.345 vs 0.262 and 0.472 vs 0.392,
   * CPU per message no different (18.3 vs 21.9, 15.7 vs 15.5 µs).
   */
  jetstreamWindow: 512,
  /** A PubAck later than this is a failed publish (nats.js's own default request timeout is 5 s). */
  pubAckTimeoutMs: 5_000,
  /** How often pending PubAcks are checked against their deadline: one timer, not one per message. */
  pubAckSweepMs: 100,
  /** ctx.nats.request without a timeout. */
  natsRequestTimeoutMs: 5_000,
} as const;

/** Header names put on every request and message. */
export const HEADERS = {
  httpCorrelationId: 'x-correlation-id',
  traceparent: 'traceparent',
  natsMsgId: 'Nats-Msg-Id',
  /** The reference relay's name for it; its worker passes it on to the sink. */
  natsCorrelationId: 'Correlation-Id',
} as const;
