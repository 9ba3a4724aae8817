// Prometheus text exposition → samples indexed by sample name (`x_total`, `x_bucket`, `x_sum`).
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * parse-prometheus-text-format 1.1.1 folds every series of a histogram or summary family into one
 * label-less entry (the last series' buckets win, `_count`/`_sum` of labelled series are dropped).
 * So histogram and summary families are shown to it as untyped: it then returns each `_bucket`,
 * `_sum` and `_count` line as its own sample with all its labels (`le` included), and we regroup.
 */
export function parseSamples(text: string): Map<string, PromSample[]> {
  // The parser drops the last line's sample unless a newline follows it.
  const untyped = `${text.replace(/^(#\s*TYPE\s+\S+\s+)(histogram|summary)[ \t]*$/gim, '$1untyped')}\n`;
  const samples = new Map<string, PromSample[]>();
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const metric of family.metrics) {
      if (metric.value === undefined) continue;
      const value = parseValue(metric.value);
      if (Number.isNaN(value)) continue;
      let list = samples.get(family.name);
      if (!list) {
        list = [];
        samples.set(family.name, list);
      }
      list.push({ labels: metric.labels ?? {}, value });
    }
  }
  return samples;
}

function parseValue(raw: string): number {
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/** A stable key for a label set (sorted), excluding `omit` (e.g. `le`). */
export function labelKey(labels: Record<string, string>, omit?: string): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== omit)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}
