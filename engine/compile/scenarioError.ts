// A scenario that cannot be compiled or loaded: the message starts with `file.ts:line[:col]: `
// and the CLI prints it as one line with exit 2.
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}
