import type { Command } from 'commander';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

export function registerTopic(program: Command, run: Run): void {
  const topic = program.command('topic').description('create, delete, list and describe topics');

  topic
    .command('create')
    .argument('<name...>', 'topic names')
    .option('--partitions <n>', 'partitions per topic', '1')
    .option('--compact', 'log-compacted (for keyed stores)')
    .option('--json', 'print the result as JSON')
    .action((names: string[], o: { partitions: string; compact?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        await ctx.kafka().kafka.createTopics(names.map((t) => ({ topic: t, partitions: Number(o.partitions), ...(o.compact ? { config: { 'cleanup.policy': 'compact' } } : {}) })));
        emit({ created: names }, o, () => `created ${names.join(', ')}`);
      }),
    );

  topic
    .command('delete')
    .argument('<name...>', 'topic names')
    .option('--json', 'print the result as JSON')
    .action((names: string[], o: { json?: boolean }) =>
      run(async (ctx) => {
        await ctx.kafka().kafka.deleteTopics(names);
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
