// parse-prometheus-text-format 1.1.1 ships no types: its output, as the library builds it.
declare module 'parse-prometheus-text-format' {
  export interface ParsedSample {
    /** Counter, gauge and untyped samples (and suffixed samples of untyped families). */
    value?: string;
    labels?: Record<string, string>;
    /** Histogram families: cumulative count per `le` (only right for label-less histograms). */
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }

  export interface ParsedFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED' | string;
    metrics: ParsedSample[];
  }

  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
