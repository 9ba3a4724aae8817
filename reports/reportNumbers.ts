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

/** Four significant digits, for figures inside a sentence (an SLO reason). */
export function significant(n: number): number {
  return Number(n.toPrecision(4));
}

/** A per-minute rate in the gauge's unit: bytes as MB/min, ms as ms/min, ratios as %/min, counts as /min. */
export function formatPerMinute(n: number, unit: string | undefined): string {
  if (unit === 'bytes') return `${significant(n / 1e6)} MB/min`;
  if (unit === 'ratio') return `${significant(n * 100)}%/min`;
  if (unit === 'ms') return `${significant(n)} ms/min`;
  return `${significant(n)}/min`;
}

/** A printed figure: integers and figures of 1000 or more whole, with thousands separators; else 4 significant digits. */
export function formatFigure(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) || Math.abs(n) >= 1000) {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  return String(significant(n));
}

/** A figure in its unit, as a person reads it: 253.6 ms, 21.73 MB, 6.8%, 45.2 events/s, 3,000. */
export function formatQuantity(n: number, unit: string | undefined): string {
  switch (unit) {
    case 'ms':
      return `${formatFigure(n)} ms`;
    case 's':
      return `${formatFigure(n)} s`;
    case 'bytes':
      return formatBytes(n);
    case 'ratio':
      return `${formatFigure(n * 100)}%`;
    case 'per_s':
    case 'events/s':
      return `${formatFigure(n)} events/s`;
    default:
      return formatFigure(n);
  }
}

function formatBytes(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${significant(n / 1e9)} GB`;
  if (a >= 1e6) return `${significant(n / 1e6)} MB`;
  if (a >= 1e3) return `${significant(n / 1e3)} kB`;
  return `${formatFigure(n)} B`;
}
