import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDeploymentSpec } from './load.ts';
import { ConfigError } from '../../errors.ts';

const MINIMAL = `
name: fraud
inputs: [payments]
authoritative: { job: examples/fraud/v1.ts, version: v1, output: alerts }
candidate: { job: examples/fraud/v2.ts, canary: alerts-canary, parallelism: 8 }
`;

test('a minimal spec gets every default', () => {
  const s = parseDeploymentSpec(MINIMAL, 'min.yaml');
  assert.deepEqual(s.start, { from: 'savepoint' });
  assert.equal(s.authoritative.engine, 'embedded');
  assert.equal(s.authoritative.jobId, 'fraud');
  assert.equal(s.candidate.engine, 'embedded');
  assert.equal(s.analysis.window, 10_000);
  assert.deepEqual(s.analysis.minimum, { duration: 30_000, windows: 3, records: 1000 });
  assert.equal(s.analysis.noiseReplica, false);
  assert.equal(s.promotion.strategy, 'savepoint-handoff');
  assert.equal(s.promotion.mode, 'warm', 'warm is the default after a fork');
  assert.equal(s.promotion.auto, false);
  assert.equal(s.rollback.keepSavepoint, true);
});

test('the examples in deploy/ are valid', () => {
  for (const f of ['fraud.yaml', 'fraud-buggy.yaml', 'orders-cutover.yaml']) {
    const path = new URL(`../../../deploy/${f}`, import.meta.url);
    const s = parseDeploymentSpec(readFileSync(path, 'utf8'), f);
    assert.ok(s.name.length > 0, f);
  }
  const fraud = parseDeploymentSpec(readFileSync(new URL('../../../deploy/fraud.yaml', import.meta.url), 'utf8'), 'fraud.yaml');
  assert.equal(fraud.candidate.parallelism, 8);
  assert.equal(fraud.analysis.expected.length, 1);
  const cut = parseDeploymentSpec(readFileSync(new URL('../../../deploy/orders-cutover.yaml', import.meta.url), 'utf8'), 'c.yaml');
  assert.equal(cut.promotion.strategy, 'cutover');
  assert.equal(cut.promotion.mode, undefined);
  assert.equal(cut.promotion.groupEmptyTimeout, 120_000);
});

test('start forms and the default handoff mode', async (t) => {
  const cases: [string, unknown, string | undefined][] = [
    ['start: earliest', { from: 'earliest' }, 'warm'],
    ['start: latest', { from: 'latest' }, 'cold'],
    ['start: { from: timestamp, timestamp: 1700000000000 }', { from: 'timestamp', timestamp: 1_700_000_000_000 }, 'cold'],
    ['start: { from: timestamp, timestamp: "2023-11-14T22:13:20Z" }', { from: 'timestamp', timestamp: 1_700_000_000_000 }, 'cold'],
    ['start: { from: savepoint }', { from: 'savepoint' }, 'warm'],
  ];
  for (const [line, start, mode] of cases) {
    await t.test(line, () => {
      const s = parseDeploymentSpec(`${MINIMAL}${line}\n`, 's.yaml');
      assert.deepEqual(s.start, start);
      assert.equal(s.promotion.mode, mode);
    });
  }
});

/** Each bad spec is refused with a message naming the key (and its line where it exists). */
test('invalid specs point at the offending key', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['wrong type', MINIMAL + 'analysis: { window: 10 }\n', /analysis\.window \(line 6, col \d+\): analysis\.window must be a duration string/],
    ['bad duration', MINIMAL + 'analysis: { window: 10 seconds }\n', /analysis\.window.*"10 seconds" is not a duration/],
    ['unknown key (typo)', MINIMAL + 'promotion: { stratgy: cutover }\n', /promotion.*stratgy/],
    ['bad enum', MINIMAL + 'promotion: { strategy: blue-green }\n', /promotion\.strategy.*"savepoint-handoff" or "cutover"/],
    ['missing required key', 'name: x\ninputs: [a]\ncandidate: { job: j, canary: c, parallelism: 1 }\n', /authoritative/],
    ['bad parallelism', MINIMAL.replace('parallelism: 8', 'parallelism: 0'), /candidate\.parallelism.*at least 1/],
    ['canary = output', MINIMAL.replace('alerts-canary', 'alerts'), /candidate\.canary.*must differ/],
    ['cutover without groups', MINIMAL + 'promotion: { strategy: cutover }\n', /promotion\.downstreamGroups.*at least one/],
    ['warm after latest', MINIMAL + 'start: latest\npromotion: { mode: warm }\n', /promotion\.mode.*warm handoff needs/],
    ['mode with cutover', MINIMAL + 'promotion: { strategy: cutover, mode: cold, downstreamGroups: [g] }\n', /promotion\.mode.*savepoint-handoff only/],
    ['bad start', MINIMAL + 'start: yesterday\n', /start.*savepoint \(default\), earliest, latest, timestamp/],
    ['timestamp missing', MINIMAL + 'start: { from: timestamp }\n', /start\.timestamp/],
    ['bad topic', MINIMAL.replace('[payments]', '["pay ments"]'), /inputs\.0.*letters, digits/],
    ['bad name', MINIMAL.replace('name: fraud', 'name: Fraud Detector'), /name.*lowercase/],
    ['input is output', MINIMAL.replace('[payments]', '[alerts]'), /inputs \(line 3, col \d+\): an input topic cannot also be an output/],
    ['not a mapping', '- a\n- b\n', /\(root\)/],
  ];
  for (const [label, text, pattern] of cases) {
    await t.test(label, () => {
      assert.throws(
        () => parseDeploymentSpec(text, 'spec.yaml'),
        (e: unknown) => e instanceof ConfigError && pattern.test(e.message) && typeof e.hint === 'string' && e.hint.length > 0,
      );
    });
  }
});

test('YAML syntax errors give line and column', () => {
  const text = 'name: fraud\ninputs: [payments\nauthoritative: {}\n';
  assert.throws(
    () => parseDeploymentSpec(text, 'broken.yaml'),
    (e: unknown) => e instanceof ConfigError && e.code === 'SPEC_YAML_INVALID' && /broken\.yaml:\d+:\d+/.test(e.message),
  );
  assert.throws(
    () => parseDeploymentSpec('name: a\nname: b\n', 'dup.yaml'),
    (e: unknown) => e instanceof ConfigError && e.code === 'SPEC_YAML_INVALID' && /dup\.yaml:2:1/.test(e.message),
  );
});

test('delivery: exactly-once by default, at-least-once as an option, commit interval bounded', () => {
  const cases: [string, { mode: string; commitIntervalMs: number } | RegExp][] = [
    ['', { mode: 'exactly-once', commitIntervalMs: 500 }],
    ['delivery: at-least-once', { mode: 'at-least-once', commitIntervalMs: 500 }],
    ['delivery: exactly-once', { mode: 'exactly-once', commitIntervalMs: 500 }],
    ['delivery: { commitInterval: 2s }', { mode: 'exactly-once', commitIntervalMs: 2000 }],
    ['delivery: { mode: at-least-once, commitInterval: 100ms }', { mode: 'at-least-once', commitIntervalMs: 100 }],
    ['delivery: { mode: twice }', /delivery\.mode .*must be "exactly-once" \(default\) or "at-least-once"/],
    ['delivery: { commitInterval: 5m }', /delivery\.commitInterval .*from 10ms to 30s/],
    ['delivery: { commitInterval: 1ms }', /delivery\.commitInterval .*from 10ms to 30s/],
    ['delivery: { mode: exactly-once, every: 1s }', /every/],
  ];
  for (const [extra, want] of cases) {
    if (want instanceof RegExp) assert.throws(() => parseDeploymentSpec(`${MINIMAL}${extra}\n`, 'd.yaml'), (e: unknown) => e instanceof ConfigError && want.test(e.message), extra);
    else assert.deepEqual(parseDeploymentSpec(`${MINIMAL}${extra}\n`, 'd.yaml').delivery, want, extra);
  }
});

test('savepoints: history retention and the periodic interval, each optional, bad values named', () => {
  const cases: [string, object | RegExp][] = [
    ['', {}],
    ['savepoints: { keepLast: 5, maxAge: 7d, interval: 1h }', { keepLast: 5, maxAge: 7 * 86_400_000, interval: 3_600_000 }],
    ['savepoints: { maxAge: 36h }', { maxAge: 36 * 3_600_000 }],
    ['savepoints: { keepLast: 0 }', /savepoints\.keepLast must be at least 1/],
    ['savepoints: { keepLast: 2.5 }', /savepoints\.keepLast must be a whole number/],
    ['savepoints: { maxAge: soon }', /savepoints\.maxAge .*not a duration/],
    ['savepoints: { interval: 500ms }', /savepoints\.interval must be at least 1s/],
    ['savepoints: { maxCount: 3 }', /maxCount/],
  ];
  for (const [extra, want] of cases) {
    if (want instanceof RegExp) assert.throws(() => parseDeploymentSpec(`${MINIMAL}${extra}\n`, 'd.yaml'), (e: unknown) => e instanceof ConfigError && want.test(e.message), extra);
    else assert.deepEqual(parseDeploymentSpec(`${MINIMAL}${extra}\n`, 'd.yaml').savepoints, want, extra);
  }
});

test('engine: flink names its job by jar, entryClass and args; each missing or misplaced key is named', () => {
  const spec = (auth: string, cand: string, more = '') => `name: fraud\ninputs: [payments]\nauthoritative: { version: v1, output: alerts${auth} }\ncandidate: { canary: alerts-canary, parallelism: 8${cand} }\n${more}`;
  const flinkAuth = ', engine: flink, jar: v1.jar, entryClass: com.example.FraudV1';
  const ok = parseDeploymentSpec(spec(flinkAuth, ', jar: v2.jar, entryClass: com.example.FraudV2, args: ["--input", "{inputs}"]', 'promotion: { strategy: savepoint-handoff, mode: cold }\nflink: { rest: "http://127.0.0.1:8081" }\n'), 'f.yaml');
  assert.equal(ok.authoritative.engine, 'flink');
  assert.equal(ok.candidate.engine, 'flink', 'the candidate inherits the engine');
  assert.equal(ok.authoritative.job, 'v1.jar', 'job is the artifact the engine starts');
  assert.deepEqual(ok.authoritative.flink, { entryClass: 'com.example.FraudV1' });
  assert.deepEqual(ok.candidate.flink, { entryClass: 'com.example.FraudV2', args: ['--input', '{inputs}'] });
  assert.equal(ok.flink?.rest, 'http://127.0.0.1:8081');

  const refused: [string, string, string, RegExp][] = [
    ['a Flink job without its jar', ', engine: flink, entryClass: com.example.A', ', jar: b.jar, entryClass: com.example.B', /authoritative\.jar \(line 3, col \d+\): authoritative\.jar is the path of the Flink job's jar/],
    ['a Flink job without its entry class', flinkAuth, ', jar: b.jar', /candidate\.entryClass.*: candidate\.entryClass is the main class/],
    ['a module named on Flink', flinkAuth, ', job: v2.ts', /candidate\.job.*: a Flink job is named by jar and entryClass, not job/],
    ['a jar named on the embedded engine', ', job: v1.ts', ', job: v2.ts, jar: v2.jar', /candidate\.jar.*: jar names a Flink job; this job runs on the embedded engine/],
    ['an entry class that is not a class name', ', engine: flink, jar: a.jar, entryClass: "not a class"', ', jar: b.jar, entryClass: com.example.B', /authoritative\.entryClass.*must be a Java class name/],
  ];
  for (const [label, auth, cand, want] of refused) {
    assert.throws(() => parseDeploymentSpec(spec(auth, cand), 'e.yaml'), (e: unknown) => e instanceof ConfigError && want.test(e.message), label);
  }
});

test('a Flink job\'s flinkConfiguration (its restart strategy, say) is carried to its runs as strings; refused on the embedded engine', () => {
  const spec = (cand: string) => `name: fraud\ninputs: [payments]\nauthoritative: { version: v1, output: alerts, engine: flink, jar: v1.jar, entryClass: com.example.FraudV1 }\ncandidate: { canary: alerts-canary, parallelism: 8${cand} }\npromotion: { strategy: savepoint-handoff, mode: cold }\n`;
  const ok = parseDeploymentSpec(spec(', jar: v2.jar, entryClass: com.example.FraudV2, flinkConfiguration: { restart-strategy.type: fixed-delay, restart-strategy.fixed-delay.attempts: 2, restart-strategy.fixed-delay.delay: 1 s }'), 'f.yaml');
  assert.deepEqual(ok.candidate.flink?.flinkConfiguration, { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '2', 'restart-strategy.fixed-delay.delay': '1 s' });
  assert.equal(ok.authoritative.flink?.flinkConfiguration, undefined);
  const embedded = `name: fraud\ninputs: [payments]\nauthoritative: { version: v1, output: alerts, job: v1.ts }\ncandidate: { canary: alerts-canary, parallelism: 8, job: v2.ts, flinkConfiguration: { a: b } }\n`;
  assert.throws(() => parseDeploymentSpec(embedded, 'e.yaml'), (e: unknown) => e instanceof ConfigError && /candidate\.flinkConfiguration.*: flinkConfiguration names a Flink job; this job runs on the embedded engine/.test(e.message));
  assert.throws(() => parseDeploymentSpec(spec(', jar: v2.jar, entryClass: com.example.FraudV2, flinkConfiguration: [a]'), 'f.yaml'), (e: unknown) => e instanceof ConfigError && /flinkConfiguration maps Flink option keys to values/.test(e.message));
});

test('two engines in one deployment: allowed with a cutover from a fresh start, refused where a savepoint would cross engines', () => {
  const spec = (more: string) =>
    `name: fraud\ninputs: [payments]\nauthoritative: { job: v1.ts, version: v1, output: alerts }\ncandidate: { engine: flink, jar: v2.jar, entryClass: com.example.FraudV2, canary: alerts-canary, parallelism: 8 }\n${more}`;
  const mixed = parseDeploymentSpec(spec('start: earliest\npromotion: { strategy: cutover, downstreamGroups: [billing] }\n'), 'm.yaml');
  assert.deepEqual([mixed.authoritative.engine, mixed.candidate.engine], ['embedded', 'flink']);
  assert.throws(
    () => parseDeploymentSpec(spec('promotion: { strategy: savepoint-handoff, mode: cold }\n'), 'm.yaml'),
    (e: unknown) => e instanceof ConfigError && /start.*cannot fork from a savepoint of the authoritative job \(embedded\): savepoints do not cross engines/.test(e.message) && /promotion\.strategy.*use strategy: cutover/.test(e.message),
  );
});

test('checkpoints and restarts: off by default; on, a crashed job restarts with exponential delay; a restart without checkpoints is refused', () => {
  const spec = (extra: string) => parseDeploymentSpec(`name: fraud\ninputs: [payments]\nauthoritative: { job: v1.ts, version: v1, output: alerts }\ncandidate: { job: v2.ts, canary: alerts-canary, parallelism: 8 }\n${extra}`, 'r.yaml');
  assert.deepEqual(spec('').recovery, { restart: { type: 'none' } });
  const on = spec('checkpoints: { interval: 2s }\n').recovery;
  assert.deepEqual(on.checkpoints, { intervalMs: 2000, retained: 3 });
  assert.equal(on.restart.type, 'exponential-delay');
  assert.deepEqual(spec('checkpoints: { interval: 1s }\nrestart: { strategy: fixed-delay, attempts: 2, delay: 5s }\n').recovery.restart, { type: 'fixed-delay', attempts: 2, delayMs: 5000 });
  assert.throws(() => spec('restart: { strategy: fixed-delay }\n'), (e: unknown) => e instanceof ConfigError && /restart.*a restart needs checkpoints to restart from/.test(e.message));
});
