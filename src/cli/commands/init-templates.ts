/**
 * The files `pitlane init` writes: a job project outside pitlane's repository that
 * depends on the pitlane package. Versions come from pitlane's own package.json, so a
 * new project gets the tsx, TypeScript and Node types pitlane is tested with.
 */
export interface InitOptions {
  /** Job and deployment name; topics are named after it. */
  readonly name: string;
  readonly pitlaneVersion: string;
  readonly versions: Readonly<Record<'tsx' | 'typescript' | '@types/node', string>>;
}

export function initFiles(o: InitOptions): Record<string, string> {
  const n = o.name;
  return {
    'package.json': `${JSON.stringify(
      {
        name: n,
        version: '0.1.0',
        private: true,
        type: 'module',
        scripts: { test: 'node --import tsx --test job/*.test.ts', typecheck: 'tsc --noEmit -p .' },
        dependencies: { pitlane: `^${o.pitlaneVersion}`, tsx: o.versions.tsx },
        devDependencies: { '@types/node': o.versions['@types/node'], typescript: o.versions.typescript },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true, skipLibCheck: true, types: ['node'] },
        include: ['job', 'checks'],
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\n.pitlane/\n',
    'job/v1.ts': `/**
 * ${n} v1: a running total of orders and amounts per merchant.
 *   npx pitlane run job/v1.ts --param input=${n}.orders --param output=${n}.totals
 */
import { defineJob, type DataStream } from 'pitlane';

export interface Order {
  readonly orderId: string;
  readonly merchant: string;
  readonly amount: number;
  readonly ts: number;
}

export interface MerchantTotal {
  readonly merchant: string;
  readonly orders: number;
  readonly amount: number;
}

/** The job's logic on any stream of orders: the job reads them from Kafka, its test from a list. */
export function merchantTotals(orders: DataStream<Order>): DataStream<MerchantTotal> {
  return orders
    .map((o): MerchantTotal => ({ merchant: o.merchant, orders: 1, amount: o.amount }))
    .keyBy((t) => t.merchant)
    .reduce('totals', (a, b) => ({ merchant: a.merchant, orders: a.orders + b.orders, amount: a.amount + b.amount }));
}

export default defineJob({
  name: '${n}',
  version: '1',
  maxParallelism: 128,
  build(env) {
    const orders = env.fromKafka<Order>({ uid: 'orders', topics: env.param('input', '${n}.orders'), timestamp: { field: 'ts' } });
    merchantTotals(orders).toKafka({ uid: 'totals-out', topic: env.param('output', '${n}.totals'), key: (t) => t.merchant });
  },
});
`,
    'checks/totals.ts': `/**
 * A business check (pitlane runs it beside its built-in checks, named in deploy.yaml):
 * per window, each merchant's latest running amount on the candidate's side must be
 * within the spec's tolerance of the running job's. It folds records into one number
 * per merchant and side, so a window of any size costs only that.
 */
import { defineCheck } from 'pitlane';

export default defineCheck({
  name: 'merchant-totals',
  init: () => new Map<string, number>(),
  add(latest, record) {
    const t = record.value as { merchant?: string; amount?: number } | null;
    if (typeof t?.merchant === 'string' && typeof t.amount === 'number') latest.set(t.merchant, Math.max(latest.get(t.merchant) ?? 0, t.amount));
  },
  measure(a, b, { within }) {
    const merchants = [...new Set([...a.keys(), ...b.keys()])];
    const off = merchants.filter((m) => !within(a.get(m) ?? 0, b.get(m) ?? 0));
    return {
      status: merchants.length === 0 ? 'inconclusive' : off.length === 0 ? 'pass' : 'fail',
      reason: off.length === 0 ? \`\${merchants.length} merchants within tolerance\` : \`\${off.length} of \${merchants.length} merchants off: \${off.slice(0, 5).map((m) => \`\${m} \${a.get(m) ?? 0} → \${b.get(m) ?? 0}\`).join(', ')}\`,
    };
  },
});
`,
    'job/v1.test.ts': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineJob, runBounded } from 'pitlane';
import { merchantTotals, type MerchantTotal, type Order } from './v1.ts';

test('the running total of a merchant counts every order and adds every amount', async () => {
  const orders: Order[] = [
    { orderId: 'o1', merchant: 'm1', amount: 10, ts: 1000 },
    { orderId: 'o2', merchant: 'm2', amount: 5, ts: 2000 },
    { orderId: 'o3', merchant: 'm1', amount: 20, ts: 3000 },
  ];
  const out: MerchantTotal[] = [];
  await runBounded(
    defineJob({
      name: 'v1-test',
      version: '1',
      maxParallelism: 128,
      build(env) {
        merchantTotals(env.fromItems({ uid: 'orders', items: orders, timestamp: (o) => o.ts })).toCallback({ uid: 'out', fn: (t) => void out.push(t) });
      },
    }),
  );
  const latest = new Map(out.map((t) => [t.merchant, t]));
  assert.deepEqual(latest.get('m1'), { merchant: 'm1', orders: 2, amount: 30 });
  assert.deepEqual(latest.get('m2'), { merchant: 'm2', orders: 1, amount: 5 });
});
`,
    'deploy.yaml': `# The deployment of ${n}: the running job (authoritative) and its next version (candidate).
# As written, the candidate is v1 itself: a rehearsal of the canary. To upgrade, copy
# job/v1.ts to job/v2.ts, change it (and its version), and point candidate.job at it.
name: ${n}
inputs: [${n}.orders]
authoritative: { job: job/v1.ts, version: v1, output: ${n}.totals }
candidate:     { job: job/v1.ts, version: v1-rehearsal, canary: ${n}.totals-canary, parallelism: 2 }
analysis:
  window: 2s
  grace: 1s
  minimum: { duration: 10s, windows: 3, records: 100 }   # a quick first canary; raise it for real traffic
  checks:
    - { type: schema }
    - { type: count }
    - { type: key-coverage }
    - { type: custom, module: checks/totals.ts, relative: 0.001 }   # a business check of your own: checks/totals.ts
promotion: { strategy: savepoint-handoff, mode: warm, auto: false }
`,
    'README.md': `# ${n}

A streaming job upgraded with [pitlane](https://www.npmjs.com/package/pitlane): \`job/v1.ts\`
keeps a running total of orders per merchant, read from \`${n}.orders\` (JSON records
\`{ orderId, merchant, amount, ts }\`) and written to \`${n}.totals\`.

\`\`\`sh
npm install
npm test                                   # the job's unit test, no Kafka needed
npm run typecheck
npx pitlane dev up                         # a local Kafka broker (or set KAFKA_BROKERS)
npx pitlane topic create ${n}.orders --partitions 4
npx pitlane topic create ${n}.totals --partitions 4
npx pitlane topic create ${n}.totals-canary --partitions 4
npx pitlane run job/v1.ts --param input=${n}.orders --param output=${n}.totals   # by hand, Ctrl-C stops it
\`\`\`

## Upgrading with a canary

1. Copy \`job/v1.ts\` to \`job/v2.ts\`, change it, and set \`version: '2'\`.
2. In \`deploy.yaml\`, set \`candidate: { job: job/v2.ts, version: v2, canary: ${n}.totals-canary, parallelism: 2 }\`.
3. Run it:

\`\`\`sh
npx pitlane canary launch deploy.yaml --parallelism 2   # v1 as a managed job, on ${n}.totals
npx pitlane savepoint trigger --spec deploy.yaml --once
npx pitlane canary start deploy.yaml       # savepoint → preflight → v2 on the canary topic
npx pitlane canary gate ${n} --wait --timeout 5m
npx pitlane canary promote ${n}
\`\`\`

\`checks/totals.ts\` is a business check of your own: the canary also compares each
merchant's running amount on both sides. Add checks there for what your business cares
about (see pitlane's README, "Write your own check").

Keep every operator's uid (\`orders\`, \`totals\`, \`totals-out\`) across versions: state
and offsets are matched by uid when v2 starts from v1's savepoint.
`,
  };
}
