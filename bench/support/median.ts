// The benches' summary statistic: the middle value (the upper one of an even count), NaN for none.
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}
