// Worker thread entry: registers tsx in this thread (loader hooks are per thread on Node 20, and
// --import in a Worker's execArgv does not reach them), then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./workerMain.ts');
