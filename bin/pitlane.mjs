#!/usr/bin/env node
// pitlane runs its TypeScript sources (and users' TypeScript jobs) through tsx's loader,
// so there is no build step between editing a job and running it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
