import type { Command } from 'commander';
import { KafkaError } from '../../errors.ts';
import type { KafkaPort } from '../../kafka/port.ts';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';
import { intFlag } from '../usage.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

const POLICY = 'cleanup.policy';

/** What an existing topic has that the command asked otherwise: one phrase per setting ("2 partitions, not 3"). */
async function differences(kafka: KafkaPort, topic: string, partitions: number, compact: boolean): Promise<{ partitions: number; policy: string; differ: string[] }> {
  const [has, config] = await Promise.all([kafka.partitionCount(topic), kafka.topicConfig(topic, [POLICY])]);
  const policy = config[POLICY] ?? 'delete';
  const differ: string[] = [];
  if (has !== partitions) differ.push(`${has} partition(s), not the ${partitions} asked for`);
  if (compact && !policy.split(',').includes('compact')) differ.push(`${POLICY}=${policy}, not compact`);
  if (!compact && policy.split(',').includes('compact')) differ.push(`${POLICY}=${policy} (compacted), not delete`);
  return { partitions: has, policy, differ };
}

export function registerTopic(program: Command, run: Run): void {
  const topic = program.command('topic').description('create, delete, list and describe topics');

  topic
    .command('create')
    .description('create topics; one that exists already with the same settings is left as it is, with other settings it is an error')
    .argument('<name...>', 'topic names')
    .option('--partitions <n>', 'partitions per topic', '1')
    .option('--compact', 'log-compacted (for keyed stores)')
    .option('--json', 'print the result as JSON')
    .action((names: string[], o: { partitions: string; compact?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        const partitions = intFlag('--partitions', o.partitions);
        const compact = o.compact === true;
        const { kafka } = ctx.kafka();
        // Every name is checked before anything is created: an existing topic with other
        // settings stops the command, naming what it has and what was asked.
        const listed = new Set(await kafka.listTopics());
        const existing = names.filter((n) => listed.has(n));
        const fresh = names.filter((n) => !listed.has(n));
        const found = await Promise.all(existing.map(async (t) => ({ topic: t, ...(await differences(kafka, t, partitions, compact)) })));
        const conflicts = found.filter((f) => f.differ.length > 0);
        if (conflicts.length > 0) {
          throw new KafkaError('TOPIC_EXISTS_DIFFERENT', `${conflicts.map((c) => `Topic ${c.topic} exists already with ${c.differ.join(' and ')}`).join('; ')}. Nothing was created.`, {
            hint: `Use ${conflicts.length === 1 ? 'it' : 'them'} as ${conflicts.length === 1 ? 'it is' : 'they are'} (run again with the same settings), or delete first (\`pitlane topic delete ${conflicts.map((c) => c.topic).join(' ')}\`: its records go with it).`,
            data: { conflicts: conflicts.map((c) => ({ topic: c.topic, partitions: c.partitions, [POLICY]: c.policy })), asked: { partitions, compact } },
          });
        }
        if (fresh.length > 0) await kafka.createTopics(fresh.map((t) => ({ topic: t, partitions, ...(compact ? { config: { [POLICY]: 'compact' } } : {}) })));
        const settings = `${partitions} partition(s)${compact ? ', compacted' : ''}`;
        emit({ created: fresh, existing, partitions, compact }, o, () =>
          [...(fresh.length > 0 ? [`created ${fresh.join(', ')} (${settings})`] : []), ...(existing.length > 0 ? [`${existing.join(', ')} exist${existing.length === 1 ? 's' : ''} already with the same settings (${settings}); left as ${existing.length === 1 ? 'it is' : 'they are'}`] : [])].join('\n'),
        );
      }),
    );

  topic
    .command('delete')
    .description('delete topics (all named topics must exist; nothing is deleted otherwise)')
    .argument('<name...>', 'topic names')
    .option('--json', 'print the result as JSON')
    .action((names: string[], o: { json?: boolean }) =>
      run(async (ctx) => {
        const { kafka } = ctx.kafka();
        const listed = new Set(await kafka.listTopics());
        const missing = names.filter((n) => !listed.has(n));
        if (missing.length > 0) {
          throw new KafkaError('KAFKA_TOPIC_NOT_FOUND', `No topic ${missing.join(', ')} on ${ctx.connection().brokers.join(',')}; nothing was deleted.`, { hint: '`pitlane topic list` shows the topics there are.' });
        }
        await kafka.deleteTopics(names);
        emit({ deleted: names }, o, () => `deleted ${names.join(', ')}`);
      }),
    );

  topic
    .command('list')
    .option('--json', 'print the result as JSON')
    .action((o: { json?: boolean }) =>
      run(async (ctx) => {
        const topics = (await ctx.kafka().kafka.listTopics()).filter((t) => !t.startsWith('__')).sort();
        emit({ topics }, o, () => topics.join('\n'));
      }),
    );

  topic
    .command('describe')
    .argument('<name>', 'topic name')
    .option('--json', 'print the result as JSON')
    .action((name: string, o: { json?: boolean }) =>
      run(async (ctx) => {
        const marks = await ctx.kafka().kafka.watermarks(name);
        emit({ topic: name, partitions: marks }, o, () =>
          table([['PARTITION', 'LOW', 'HIGH', 'RECORDS'], ...marks.map((m) => [String(m.partition), String(m.low), String(m.high), String(m.high - m.low)])]),
        );
      }),
    );
}
