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

test('engine: flink is refused, naming each key that asks for it, until the Flink adapter exists', () => {
  const spec = (auth: string, cand: string) => `name: fraud\ninputs: [payments]\nauthoritative: { job: v1.ts, version: v1, output: alerts${auth} }\ncandidate: { job: v2.ts, canary: alerts-canary, parallelism: 8${cand} }\n`;
  const cases: [string, string, string, RegExp[] | null][] = [
    ['the authoritative job (the candidate inherits it)', ', engine: flink', '', [/^ {2}authoritative\.engine \(line 3, col \d+\): flink is not available yet: this version of pitlane has no Flink engine adapter yet$/]],
    ['the candidate only', '', ', engine: flink', [/^ {2}candidate\.engine \(line 4, col \d+\): flink is not available yet/]],
    ['both', ', engine: flink', ', engine: flink', [/^ {2}authoritative\.engine \(line 3/, /^ {2}candidate\.engine \(line 4/]],
    ['embedded, written out', ', engine: embedded', ', engine: embedded', null],
  ];
  for (const [label, auth, cand, want] of cases) {
    const text = spec(auth, cand);
    if (want === null) {
      assert.equal(parseDeploymentSpec(text, 'e.yaml').candidate.engine, 'embedded', label);
      continue;
    }
    assert.throws(
      () => parseDeploymentSpec(text, 'e.yaml'),
      (e: unknown) => {
        if (!(e instanceof ConfigError) || e.code !== 'SPEC_ENGINE_UNAVAILABLE') return false;
        const [head, ...lines] = e.message.split('\n');
        assert.equal(head, 'e.yaml asks for an engine pitlane cannot run yet:', label);
        assert.equal(lines.length, want.length, `${label}: ${e.message}`);
        want.forEach((pattern, i) => assert.match(lines[i] ?? '', pattern, label));
        assert.match(e.hint ?? '', /engine: embedded/, label);
        return true;
      },
      label,
    );
  }
});
