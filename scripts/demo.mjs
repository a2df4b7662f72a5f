#!/usr/bin/env node
// `npm run demo` — the README's first command: a canary of fraud v2 beside v1 on a
// local broker, promoted by warm savepoint handoff, checked by reading Kafka back.
// `npm run demo -- --buggy` runs a candidate that drops keys; the gate aborts it.
// `npm run demo -- --engine flink` tells the same story on a local Flink cluster,
// promoted by cold handoff.
// The demo lives in src/demo/run-demo.ts; this loads it through tsx.
import { register } from 'tsx/esm/api';

register();
const { runDemo } = await import('../src/demo/run-demo.ts');
process.exitCode = await runDemo(process.argv.slice(2));
