// The generator's own health: each worker's event-loop delay and utilisation, the process CPU, and
// the saturation verdict (thresholds and their reasons in engineDefaults.ts).
import {
  SATURATED_FOR_S,
  SATURATED_LOOP_DELAY_P99_MS,
  SATURATED_LOOP_UTILIZATION,
} from './engineDefaults.ts';

export class GeneratorHealth {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private streak = 0;
  private worstDelay = 0;
  private worstUtilization = 0;
  saturated = false;
  /**
   * Whether the saturating streak had the loop busy (its own work: more workers help), rather than
   * only delayed while mostly idle (other processes on the host held the CPU).
   */
  busy = false;
  note: string | undefined;

  /** Process CPU since the last call, as a share of one core (0..cores). */
  cpuShare(): number {
    const cpu = process.cpuUsage(this.lastCpu);
    const now = performance.now();
    const share = (cpu.user + cpu.system) / 1000 / Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return share;
  }

  /** One second's worst worker figures; flags saturation after SATURATED_FOR_S bad seconds in a row. */
  observe(loopDelayP99Ms: number, loopUtilization: number, elapsedS: number): void {
    const bad = loopDelayP99Ms > SATURATED_LOOP_DELAY_P99_MS || loopUtilization >= SATURATED_LOOP_UTILIZATION;
    if (!bad) {
      this.streak = 0;
      this.worstDelay = 0;
      this.worstUtilization = 0;
      return;
    }
    this.streak++;
    this.worstDelay = Math.max(this.worstDelay, loopDelayP99Ms);
    this.worstUtilization = Math.max(this.worstUtilization, loopUtilization);
    if (this.streak < SATURATED_FOR_S) return;
    const busyStreak = this.worstUtilization >= SATURATED_LOOP_UTILIZATION;
    if (this.saturated) {
      // Delayed first, busy later: the later streak says the generator's own work is the limit.
      if (busyStreak && !this.busy) {
        this.busy = true;
        this.note = `${this.note ?? 'generator saturated'}; loop busy ${(this.worstUtilization * 100).toFixed(0)}% from ${Math.max(0, elapsedS - this.streak).toFixed(0)} s`;
      }
    } else {
      this.saturated = true;
      this.busy = busyStreak;
      this.note =
        `generator saturated from ${Math.max(0, elapsedS - this.streak).toFixed(0)} s: worker event-loop delay p99 ` +
        `${this.worstDelay.toFixed(1)} ms (limit ${SATURATED_LOOP_DELAY_P99_MS} ms), loop busy ` +
        `${(this.worstUtilization * 100).toFixed(0)}% (limit ${SATURATED_LOOP_UTILIZATION * 100}%) for ${this.streak} s`;
    }
  }
}
