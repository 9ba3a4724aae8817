// The tag pipesoak writes on each HdrHistogram log line: the metric name, then its tags sorted by
// key, `;`-separated, e.g. `outbox.lag` or `db.connections;application=sea-sink;state=active`.
// Names, keys and values are percent-encoded (encodeURIComponent), so a tag never holds the
// comma, space, `;` or `=` that the log format or this encoding use as delimiters.
import type { Tags } from './recorder.ts';

export interface TaggedMetric {
  metric: string;
  tags: Tags;
}

export function formatHlogTag(metric: string, tags?: Tags): string {
  if (metric === '') throw new Error('metric name is empty');
  let tag = encodeURIComponent(metric);
  if (tags === undefined) return tag;
  for (const key of Object.keys(tags).sort()) {
    tag += `;${encodeURIComponent(key)}=${encodeURIComponent(tags[key] ?? '')}`;
  }
  return tag;
}

/** Inverse of formatHlogTag; throws on a malformed tag so a garbled log line is reported. */
export function parseHlogTag(tag: string): TaggedMetric {
  const [metric, ...pairs] = tag.split(';');
  if (metric === undefined || metric === '') throw new Error(`tag "${tag}" has no metric name`);
  const tags: Tags = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`tag "${tag}" has a malformed key=value pair "${pair}"`);
    tags[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
  }
  return { metric: decodeURIComponent(metric), tags };
}
