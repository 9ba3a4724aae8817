#!/usr/bin/env node
// The `pipesoak` bin: loads the TypeScript sources through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
