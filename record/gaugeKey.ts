// One tagged series of a gauge as a key: `target.rss{component=worker}`. Drift SLOs name a gauge
// this way when only one of its series should be judged (the worker's memory, not the sum of every
// component's); reports keep a summary under the same key for each tag the catalogue keeps apart.

export interface GaugeKey {
  gauge: string;
  tag?: { key: string; value: string };
}

const KEY = /^([^{}=\s]+)(?:\{([^{}=\s]+)=([^{}=\s]+)\})?$/;

export function gaugeKey(gauge: string, tag?: { key: string; value: string }): string {
  return tag === undefined ? gauge : `${gauge}{${tag.key}=${tag.value}}`;
}

/** undefined when the text is not `name` or `name{key=value}`. */
export function parseGaugeKey(text: string): GaugeKey | undefined {
  const m = KEY.exec(text);
  if (m === null || m[1] === undefined) return undefined;
  return m[2] !== undefined && m[3] !== undefined
    ? { gauge: m[1], tag: { key: m[2], value: m[3] } }
    : { gauge: m[1] };
}
