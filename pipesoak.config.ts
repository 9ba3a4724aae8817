// The run configuration for the reference pipeline (`pipesoak reference up`): targets from its
// settings (environment overrides such as REFERENCE_DATABASE_URL apply), SLOs at their defaults
// (DESIGN section 1). Copy this file to point pipesoak at your own pipeline.

import { referenceTarget } from './reference/referenceTarget.ts';
import { defineConfig } from './runner/config/defineConfig.ts';

export default defineConfig({
  target: referenceTarget(),
  load: {
    rate: 50,
    duration: '5m',
    warmUp: '30s',
    vus: { preAllocated: 10, max: 200 },
    seed: 1,
  },
  collectors: { interval: '1s' },
  drainTimeout: '60s',
});
