// Report rendering at soak scale: a synthetic 24 h run folder (86,400 one-second intervals for 8
// metrics, 10 gauges at 1 Hz) rendered into report.json, report.md and junit.xml, timed, with the
// peak RSS of the rendering process (a child of its own, so generating the folder does not count).
// Usage: node --import tsx bench/reportScale.ts [--hours 24] [--keep]
// Budget: under 30 s and under 1 GB RSS for 24 h.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { METRIC } from '../record/metricCatalog.ts';
import { renderRunFolder } from '../reports/renderRunFolder.ts';
import { SYNTHETIC_METRICS, writeSyntheticRunFolder } from '../test/support/syntheticRunFolder.ts';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '24' },
    keep: { type: 'boolean', default: false },
    render: { type: 'string' },
  },
});

if (values.render !== undefined) {
  // The child: render and report its own time and peak RSS as JSON.
  const started = performance.now();
  const report = await renderRunFolder(values.render);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ seconds, peakRssMb, verdict: report.verdict, metrics: Object.keys(report.metrics).length, gauges: Object.keys(report.gauges).length, count: report.metrics[METRIC.e2eLatency]?.count })}\n`,
  );
} else {
  const hours = Number(values.hours);
  const dir = mkdtempSync(join(tmpdir(), 'pipesoak-report-scale-'));
  const generateStarted = performance.now();
  writeSyntheticRunFolder(dir, {
    seconds: Math.round(hours * 3600),
    warmUpS: 60,
    variety: 64,
    extraSamples: 200,
  });
  const sizeMb = (f: string) => statSync(join(dir, f)).size / 1e6;
  process.stdout.write(
    `generated ${hours} h (${SYNTHETIC_METRICS.length} metrics, 10 gauges) in ${((performance.now() - generateStarted) / 1000).toFixed(1)} s: ` +
      `collectors.hlog ${sizeMb('collectors.hlog').toFixed(0)} MB, series.ndjson ${sizeMb('series.ndjson').toFixed(0)} MB\n`,
  );
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--render', dir], {
    encoding: 'utf8',
  });
  const result = JSON.parse(out) as { seconds: number; peakRssMb: number; count: number };
  process.stdout.write(
    `render: ${result.seconds.toFixed(2)} s, peak RSS ${result.peakRssMb.toFixed(0)} MB ` +
      `(budget 30 s, 1024 MB): ${result.seconds < 30 && result.peakRssMb < 1024 ? 'within' : 'OVER'}; ${out.trim()}\n`,
  );
  if (values.keep) process.stdout.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
