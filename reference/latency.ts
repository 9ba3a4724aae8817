// Parses a latency distribution spec (`fixed:50`, `uniform:20-80`, `normal:100,20`,
// `lognormal:200,0.4`) into a sampler returning milliseconds.

/** Returns a number in [0, 1), like Math.random; injectable so tests can seed it. */
export type RandomSource = () => number;
export type LatencySampler = () => number;

const USAGE = 'expected fixed:MS, uniform:MIN-MAX, normal:MEAN,SD or lognormal:MEDIAN,SIGMA';
const NUMBER = String.raw`(\d+(?:\.\d+)?)`;
const PATTERNS = {
  fixed: new RegExp(`^${NUMBER}$`),
  uniform: new RegExp(`^${NUMBER}\\s*-\\s*${NUMBER}$`),
  normal: new RegExp(`^${NUMBER}\\s*,\\s*${NUMBER}$`),
  lognormal: new RegExp(`^${NUMBER}\\s*,\\s*${NUMBER}$`),
} as const;

export function parseLatency(spec: string, random: RandomSource = Math.random): LatencySampler {
  const fail = (why: string): never => {
    throw new Error(`latency spec "${spec}" is not valid: ${why}`);
  };
  const colon = spec.indexOf(':');
  if (colon < 0) fail(USAGE);
  const kind = spec.slice(0, colon).trim().toLowerCase();
  const args = spec.slice(colon + 1).trim();
  if (!Object.hasOwn(PATTERNS, kind)) fail(`unknown distribution "${kind}"; ${USAGE}`);
  const match = PATTERNS[kind as keyof typeof PATTERNS].exec(args) ?? fail(USAGE);
  const a = Number(match[1]);
  const b = Number(match[2]);
  const gaussian = () => standardNormal(random);

  switch (kind) {
    case 'fixed':
      return () => a;
    case 'uniform':
      if (b < a) fail(`minimum ${a} is above maximum ${b}`);
      return () => a + (b - a) * random();
    case 'normal':
      // A negative delay is meaningless, so the left tail piles up at 0.
      return () => Math.max(0, a + b * gaussian());
    default:
      if (a <= 0) fail('the median must be above 0');
      return () => a * Math.exp(b * gaussian());
  }
}

/** Box-Muller; 1 - random() keeps the log argument in (0, 1]. */
function standardNormal(random: RandomSource): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
