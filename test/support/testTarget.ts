// A config `target` for a test environment's reference pipeline (test/support/testEnv.ts), as
// tests and benches hand it to startCollectors; `overrides` replace whole fields.
import type { CollectorTarget } from '../../collectors/collectorTarget.ts';
import { referenceTarget } from '../../reference/referenceTarget.ts';
import type { ReferenceSettings } from '../../reference/settings.ts';

export function testTarget(
  settings: ReferenceSettings,
  overrides: Partial<CollectorTarget> = {},
): CollectorTarget {
  return { ...referenceTarget(settings), ...overrides };
}
