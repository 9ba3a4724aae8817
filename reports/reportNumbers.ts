// How reports round and print numbers, once for report.json, report.md and report.html, so the
// three never disagree about a value.

/** Stored numbers: three decimals (µs for ms values), six significant digits below 1 (error rates). */
export function roundReportNumber(n: number): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  return Math.abs(n) >= 1 ? Number(n.toFixed(3)) : Number(n.toPrecision(6));
}

/** Printed numbers: up to three decimals; four significant digits below 1 so 0.0011 never reads as 0.001. */
export function formatReportNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) < 1) return String(Number(n.toPrecision(4)));
  return String(Number(n.toFixed(3)));
}

/** A share (0.123) as a percentage to a tenth: "12.3%". */
export function formatShare(share: number): string {
  return `${formatReportNumber(Math.round(share * 1000) / 10)}%`;
}

/** Four significant digits, for figures inside a sentence (an SLO reason). */
export function significant(n: number): number {
  return Number(n.toPrecision(4));
}

/** A per-minute rate in the gauge's unit: bytes as MB/min, ms as ms/min, counts as /min. */
export function formatPerMinute(n: number, unit: string | undefined): string {
  if (unit === 'bytes') return `${significant(n / 1e6)} MB/min`;
  if (unit === 'ms') return `${significant(n)} ms/min`;
  return `${significant(n)}/min`;
}
