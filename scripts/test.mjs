#!/usr/bin/env node
// The project's one test command (`npm test`): typecheck, lint, then every test.
// Integration tests get their Kafka (and schema registry) from test/support/infra.ts:
// the environment when KAFKA_BROKERS is set, else the local launcher, started once
// here and stopped at the end, whatever happens.
//
//   npm test                 everything
//   npm test -- --unit       pure unit tests only (no broker)
//   npm test -- FILTER...    only test files whose path contains a FILTER
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function run(cmd, cmdArgs, env = process.env, limitMs = 0) {
  return new Promise((resolve) => {
    const p = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
    // A test file that never exits (a leaked connection) must fail the run, not hang CI.
    const watchdog = limitMs > 0 ? setTimeout(() => {
      console.error(`\n✖ the test run exceeded ${limitMs / 60000} minutes; stopping it (a test file that does not exit leaks a handle)`);
      p.kill('SIGTERM');
    }, limitMs) : undefined;
    p.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

async function main() {
  if (filters.length === 0) {
    console.log('» typecheck');
    if ((await run(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'])) !== 0) return 1;
    console.log('» lint');
    if ((await run(bin('eslint'), ['.'])) !== 0) return 1;
    console.log('» imports against docs/architecture.md');
    if ((await run(process.execPath, ['scripts/check-imports.mjs'])) !== 0) return 1;
  }
  const unit = ['src', 'comparators', 'examples', 'scripts'].flatMap((d) => findTests(join(root, d)));
  const integration = findTests(join(root, 'test'));
  let files = unitOnly ? unit : [...unit, ...integration];
  if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
  if (files.length === 0) {
    console.error('no test files matched');
    return 1;
  }
  const needsKafka = files.some((f) => f.startsWith('test/'));
  let infra;
  let flink;
  const env = { ...process.env };
  if (needsKafka) {
    const { startInfra } = await import('../test/support/infra.ts');
    console.log('» starting test infrastructure');
    infra = await startInfra();
    for (const n of infra.notes) console.log(`  ${n}`);
    env.KAFKA_BROKERS = infra.brokers;
    if (infra.registry) env.SCHEMA_REGISTRY_URL = infra.registry;
    const stop = async () => {
      await flink?.stop();
      await infra?.stop();
      process.exit(130);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  // The Flink test files that can share a cluster get one for the run (test/support/flink.ts).
  const sharesFlink = files.filter((f) => f.startsWith('test/') && /flinkForTests|process\.env\.FLINK_REST_URL/.test(readFileSync(join(root, f), 'utf8')));
  if (sharesFlink.length > 0 && !process.env.FLINK_REST_URL) {
    const { startRunFlink } = await import('../test/support/flink.ts');
    console.log('» starting a Flink session cluster for ' + sharesFlink.join(', '));
    try {
      flink = await startRunFlink();
    } catch (e) {
      await infra?.stop();
      throw e;
    }
    for (const n of flink.notes) console.log(`  ${n}`);
    env.FLINK_REST_URL = flink.rest;
  }
  try {
    console.log(`» ${files.length} test files`);
    const reporter = process.env.CI ? 'tap' : 'spec';
    const limitMs = Number(process.env.PITLANE_TEST_LIMIT_MINUTES ?? 75) * 60000;
    return await run(process.execPath, ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, '--test-concurrency=2', '--test-timeout=600000', ...files], env, limitMs);
  } finally {
    if (flink) {
      console.log('» stopping the Flink session cluster');
      await flink.stop();
    }
    if (infra) {
      console.log('» stopping test infrastructure');
      await infra.stop();
    }
  }
}

process.exitCode = await main();
