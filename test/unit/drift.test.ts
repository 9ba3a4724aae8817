import { describe, expect, it } from 'vitest';
import { slosSchema } from '../../record/sloConfig.ts';
import { driftVerdict, fitTrend } from '../../reports/drift.ts';
import { studentTCdf, studentTQuantile } from '../../reports/studentT.ts';

/** Seeded uniform PRNG (mulberry32) and a normal from it (Box-Muller). */
function random(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function series(seconds: number, value: (t: number) => number): { t: number[]; v: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let s = 0; s < seconds; s++) {
    t.push(s);
    v.push(value(s));
  }
  return { t, v };
}

const PENDING = { confidence: 0.99, minSlopePerMin: 10, minRelativeSlopePerMin: 0.001 };
const RSS = { confidence: 0.99, minSlopePerMin: 256 * 1024, minRelativeSlopePerMin: 0.001 };

function judge(s: { t: number[]; v: number[] }, options: typeof PENDING) {
  const trend = fitTrend(s.t, s.v);
  if (trend === null) throw new Error('no trend');
  const mean = s.v.reduce((a, b) => a + b, 0) / s.v.length;
  return { trend, verdict: driftVerdict(trend, mean, options) };
}

describe('studentT', () => {
  it('drift - t quantiles match the tables', () => {
    expect(studentTQuantile(0.99, 10)).toBeCloseTo(2.7638, 4);
    expect(studentTQuantile(0.95, 5)).toBeCloseTo(2.015, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0423, 4);
    expect(studentTQuantile(0.99, 1)).toBeCloseTo(31.8205, 3);
    expect(studentTQuantile(0.999, 1000)).toBeCloseTo(3.0984, 3);
    expect(studentTQuantile(0.05, 5)).toBeCloseTo(-2.015, 3);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
  });
});

describe('drift', () => {
  it('drift - a healthy pipeline (pending noisy around 20 with bursts, 30 min at 1 Hz) passes', () => {
    const r = random(1);
    let burst = 0;
    const s = series(1800, () => {
      if (r.uniform() < 0.005) burst = 60 + r.uniform() * 120; // bursts of up to 180 that drain off
      burst *= 0.9;
      return Math.max(0, 20 + 5 * r.normal() + burst);
    });
    const { trend, verdict } = judge(s, PENDING);
    expect(trend.windows).toBe(60);
    expect(trend.windowS).toBe(30);
    expect(verdict.pass).toBe(true);
    expect(Math.abs(trend.slopePerMin)).toBeLessThan(2);
  });

  it('drift - keeping up with 95% of 100 ev/s (pending +5/s) fails within 5 minutes of data', () => {
    const r = random(2);
    const s = series(300, (t) => 20 + 5 * t + 15 * r.normal());
    const { trend, verdict } = judge(s, PENDING);
    expect(verdict.pass).toBe(false);
    expect(trend.slopePerMin).toBeGreaterThan(290);
    expect(trend.slopePerMin).toBeLessThan(310);
    expect(verdict.lowerBoundPerMin).toBeGreaterThan(250);
  });

  it('drift - a slowly oscillating healthy series (sine, 5 min period) passes over 30 min in any phase', () => {
    for (const phase of [0, Math.PI / 2, Math.PI, (3 * Math.PI) / 2]) {
      const r = random(3);
      const s = series(1800, (t) => 100 + 60 * Math.sin((2 * Math.PI * t) / 300 + phase) + 3 * r.normal());
      const { verdict } = judge(s, PENDING);
      expect(verdict.pass, `phase ${phase}`).toBe(true);
    }
  });

  it('drift - harness.rss leaking 1 MB/min with noise fails', () => {
    const r = random(4);
    const s = series(1800, (t) => 150e6 + (1e6 * t) / 60 + 2e6 * r.normal());
    const { trend, verdict } = judge(s, RSS);
    expect(verdict.pass).toBe(false);
    expect(trend.slopePerMin / 1e6).toBeCloseTo(1, 1);
  });

  it('drift - flat memory with GC sawtooth passes', () => {
    const s = series(1800, (t) => 150e6 + ((t % 45) / 45) * 20e6);
    expect(judge(s, RSS).verdict.pass).toBe(true);
  });

  it('drift - too short a window gives no trend instead of a guess', () => {
    expect(fitTrend([0, 1, 2], [1, 2, 3])).toBeNull();
    expect(fitTrend([], [])).toBeNull();
  });
});

describe('drift total-growth floor (minGrowth)', () => {
  const MB = 1024 * 1024;
  const WORKER_RSS = { confidence: 0.99, minSlopePerMin: (10 * MB) / 60, minRelativeSlopePerMin: 0.0005 };
  // 9 MB/min, known to ±0.5 MB/min: certain growth.
  const steep = (windows: number, windowS: number) => ({
    slopePerMin: 9 * MB,
    stdErrPerMin: 0.5 * MB,
    dof: windows - 2,
    windows,
    windowS,
  });

  it('drift - 3 MB of settling over a 20 s window passes with a 16 MB floor, fails without it', () => {
    const trend = steep(20, 1);
    expect(driftVerdict(trend, 100 * MB, WORKER_RSS).pass).toBe(false);
    const v = driftVerdict(trend, 100 * MB, { ...WORKER_RSS, minGrowth: 16 * MB });
    expect(v.pass).toBe(true);
    expect(v.thresholdPerMin).toBeCloseTo((16 * MB) / (20 / 60), 0);
  });

  it('drift - the floor fades with the window: the same slope over 2 h fails, and 10 MB/h rules past 1.6 h', () => {
    expect(driftVerdict(steep(240, 30), 100 * MB, { ...WORKER_RSS, minGrowth: 16 * MB }).pass).toBe(false);
    const long = driftVerdict(steep(240, 30), 100 * MB, { ...WORKER_RSS, minGrowth: 16 * MB });
    expect(long.thresholdPerMin).toBeCloseTo((10 * MB) / 60, 0);
  });
});

describe('drift minimum window (minWindowS)', () => {
  const trend = { slopePerMin: 50, stdErrPerMin: 1, dof: 18, windows: 20, windowS: 6 };
  const options = { confidence: 0.99, minSlopePerMin: 10, minRelativeSlopePerMin: 0 };

  it('drift - a certain slope over a 2 min span is not judged under a 3 min minimum, and fails at 2 min', () => {
    expect(driftVerdict(trend, 100, { ...options, minWindowS: 180 })).toMatchObject({
      pass: true,
      judged: false,
    });
    expect(driftVerdict(trend, 100, { ...options, minWindowS: 120 })).toMatchObject({
      pass: false,
      judged: true,
    });
  });
});

describe('drift defaults in run.start', () => {
  it('drift - the parsed slos parse again to the same (run.start records them parsed, the report parses them again)', () => {
    const again = (slos: unknown) => slosSchema.parse(JSON.parse(JSON.stringify(slos)));
    const once = slosSchema.parse({});
    const twice = again(once);
    // The second parse only spells out the zero floors the first left implicit.
    expect(again(twice)).toEqual(twice);
    const key = 'target.rss{component=worker}';
    expect(twice.drift.gauges[key]).toEqual(once.drift.gauges[key]);
    expect(once.drift.gauges[key]).toMatchObject({ minGrowth: 16 * 2 ** 20, minWindowS: 180 });
  });
});
