// The run-record pieces the engine writes with, imported in this one module so their move to
// record/ changes one file.

export {
  HIGHEST_TRACKABLE_US,
  HistogramSnapshot,
  type LatencySummary,
  LOWEST_DISCERNIBLE_US,
  SIGNIFICANT_DIGITS,
} from '../reports/histogramSnapshot.ts';
export { HlogWriter } from '../reports/hlog.ts';
export { formatHlogTag, parseHlogTag } from '../reports/hlogTag.ts';
