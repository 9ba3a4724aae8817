// The run-record pieces the engine writes with, imported in this one module so their move to
// record/ changes one file.

export {
  HIGHEST_TRACKABLE_US,
  HistogramSnapshot,
  type LatencySummary,
  LOWEST_DISCERNIBLE_US,
  SIGNIFICANT_DIGITS,
  summarise,
} from '../record/histogramSnapshot.ts';
export { HlogWriter } from '../record/hlog.ts';
export { formatHlogTag, parseHlogTag } from '../record/hlogTag.ts';
