// After the default reporter: one line per failed test and per unhandled error, as the run's last
// lines. CI keeps only the tail of a run's output, where the default reporter's error bodies have
// scrolled off and only its counts remain.
import { relative } from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

const WIDTH = 300;

export default class FailureSummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests('failed')) {
        const error = test.result().errors?.[0];
        lines.push(
          `failed: ${relative(process.cwd(), module.moduleId)} > ${test.fullName}: ${oneLine(error?.message)}`,
        );
      }
    }
    for (const error of unhandledErrors) {
      const { VITEST_TEST_PATH: file, VITEST_TEST_NAME: test } = error as SerializedError & {
        VITEST_TEST_PATH?: string;
        VITEST_TEST_NAME?: string;
      };
      const where = `${file ? relative(process.cwd(), file) : 'no file'}${test ? ` > ${test}` : ', outside any test'}`;
      lines.push(
        `unhandled: ${where}: ${error.name ?? 'Error'}: ${oneLine(error.message)} ${firstOwnFrame(error)}`,
      );
    }
    if (lines.length === 0) return;
    process.stderr.write(
      `\nSummary of what failed:\n${lines.map((l) => `  ${l.slice(0, WIDTH)}`).join('\n')}\n`,
    );
  }
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

/** The first stack frame outside node_modules and node's internals: where our code was. */
function firstOwnFrame(error: SerializedError): string {
  const frame = (error.stack ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.startsWith('at ') && !l.includes('node_modules') && !l.includes('node:'));
  const any = (error.stack ?? '').split('\n').find((l) => l.trim().startsWith('at '));
  return `(${(frame ?? any ?? 'no stack').trim()})`;
}
