#!/usr/bin/env node
// `npm run demo`: the main job. Until the canary orchestrator lands this is the
// foundation's smoke run: start the local broker (jars from Maven Central on first
// use), produce and read back records through the real client, then stop exactly
// what it started. A broker that was already running is used and left running.
import { spawnSync } from 'node:child_process';

const bin = new URL('../bin/pitlane.mjs', import.meta.url).pathname;
const pitlane = (...args) => spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' }).status ?? 1;
const json = (...args) => JSON.parse(spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' }).stdout || '{}');

const before = json('dev', 'status').services?.find((s) => s.service === 'kafka')?.state;
const weStarted = before !== 'running';
let code = pitlane('dev', 'up');
if (code === 0) code = pitlane('dev', 'smoke', '--records', '10000');
if (weStarted) pitlane('dev', 'down');
process.exitCode = code;
