/**
 * `pitlane cutover`: the consumer cutover of the canary promotion as a manual
 * command. Translates a group's committed offsets on one topic to the records
 * that match them on another (src/orchestrator/cutover, bounded reads), prints
 * per partition what it matched, and commits the offsets unless --dry-run.
 */
import type { Command } from 'commander';
import { ConfigError, PromotionError } from '../../errors.ts';
import type { IncomingRecord } from '../../kafka/port.ts';
import { lineageOfHeaders, eventTimeOfHeaders } from '../../lineage.ts';
import { KafkaCutover, type GroupPlan } from '../../orchestrator/cutover/kafka-cutover.ts';
import { systemClock } from '../../clock.ts';
import { emit, table } from '../output.ts';
import type { CliContext } from '../context.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

interface CutoverOptions {
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

export function registerCutover(program: Command, run: Run): void {
  program
    .command('cutover')
    .description("move a consumer group from one topic to another at the records matching its committed offsets (by lineage headers, else event time); the group must have no members")
    .requiredOption('--group <id>', 'the consumer group to move')
    .requiredOption('--from <topic>', 'the topic the group reads now (its committed offsets are read there, never changed)')
    .requiredOption('--to <topic>', 'the topic it moves to (same partition count)')
    .option('--dry-run', 'print the translation; set nothing')
    .option('--json', 'print the result as JSON')
    .action((o: CutoverOptions) => run((ctx) => cutoverCommand(ctx, o)));
}

async function cutoverCommand(ctx: CliContext, o: CutoverOptions): Promise<void> {
  if (o.from === o.to) throw new ConfigError('CUTOVER_SAME_TOPIC', `--from and --to both name ${o.from}.`, { hint: 'Name the topic the group reads now with --from and the one it should move to with --to.' });
  const kafka = ctx.kafka().kafka;
  const cutover = new KafkaCutover(kafka, systemClock, ctx.logger);
  if (!o.dryRun) {
    const g = await kafka.describeGroup(o.group);
    if (!isIdle(g)) throw active(o, g);
  }
  if ((await kafka.groupOffsets(o.group, o.from)).length === 0) {
    // A misspelt group would otherwise be created at the start of --to.
    throw new ConfigError('CUTOVER_NO_COMMITS', `Consumer group ${o.group} has no committed offsets on ${o.from}, so there is no position to translate.`, {
      hint: `Check the group and topic names (\`kafka-consumer-groups --describe --group ${o.group}\`); a group that never read ${o.from} can simply start on ${o.to}.`,
    });
  }
  const plan = await cutover.plan(o.group, o.from, o.to);
  const refused = KafkaCutover.refusal(plan) ?? (plan.complete ? undefined : KafkaCutover.behind(plan));
  if (refused) {
    if (!o.json) process.stdout.write(`${human(plan, o, false)}\n`);
    throw refused;
  }
  let applied = false;
  if (!o.dryRun) {
    // The group may have come back while the topics were read: Kafka would refuse its commit anyway, this says why.
    const g = await kafka.describeGroup(o.group);
    if (!isIdle(g)) throw active(o, g);
    await cutover.apply(plan);
    applied = true;
  }
  emit(asJson(plan, o, applied), o, () => human(plan, o, applied));
}

const isIdle = (g: { members: number; state: string }) => g.members === 0 && (g.state === 'Empty' || g.state === 'Dead');

function active(o: CutoverOptions, g: { members: number; state: string }): PromotionError {
  return new PromotionError('CUTOVER_GROUP_ACTIVE', `Consumer group ${o.group} has ${g.members} member(s) (${g.state}); its offsets cannot be moved while it consumes.`, {
    retriable: true,
    hint: `Stop the consumers of ${o.group}, then run the command again (they restart on ${o.to}); \`--dry-run\` shows the translation meanwhile.`,
  });
}

/** A record as printed: its offset, key, timestamp and lineage (or event time). */
function describe(r: IncomingRecord | undefined): string {
  if (!r) return '-';
  const l = lineageOfHeaders(r.headers);
  const t = eventTimeOfHeaders(r.headers);
  const cause = l ? `${l.topic}/${l.partition}@${l.offset}` : t !== undefined ? `event time ${t}` : 'no lineage';
  return `@${r.offset} ${r.key ? `key ${r.key.toString()}` : 'no key'} ${new Date(r.timestamp).toISOString()} ${cause}`;
}

function recordJson(r: IncomingRecord | undefined) {
  if (!r) return null;
  const l = lineageOfHeaders(r.headers);
  return { offset: r.offset, key: r.key?.toString() ?? null, timestamp: r.timestamp, eventTime: eventTimeOfHeaders(r.headers) ?? null, lineage: l ?? null };
}

function action(plan: GroupPlan, p: GroupPlan['partitions'][number], applied: boolean, dryRun: boolean): string {
  if (p.outcome.kind !== 'matched') return p.outcome.kind;
  if (!plan.apply.some((a) => a.partition === p.partition)) return `kept (already at ${p.current})`;
  return applied ? 'set' : dryRun ? 'would set' : 'not set';
}

function human(plan: GroupPlan, o: CutoverOptions, applied: boolean): string {
  const head = `group ${plan.groupId} (${plan.group.state}, ${plan.group.members} member(s)): ${plan.from} → ${plan.to}${o.dryRun ? ' — dry run, nothing set' : ''}`;
  const rows = [['PARTITION', 'COMMITTED', `LAST SEEN ON ${plan.from}`, `MATCHED ON ${plan.to}`, 'OFFSET', 'BY', 'ACTION']];
  for (const p of plan.partitions) {
    const o2 = p.outcome;
    rows.push([String(p.partition), String(p.committed), describe(p.lastSeen), describe(p.matched), o2.kind === 'matched' ? String(o2.offset) : '-', o2.kind === 'matched' ? o2.by : '-', action(plan, p, applied, o.dryRun === true)]);
  }
  const reasons = plan.partitions.flatMap((p) => ('reason' in p.outcome ? [`partition ${p.partition}: ${p.outcome.kind}: ${p.outcome.reason}`] : []));
  return [head, table(rows), ...reasons, `${plan.recordsRead} records read`].join('\n');
}

function asJson(plan: GroupPlan, o: CutoverOptions, applied: boolean) {
  return {
    group: plan.groupId,
    from: plan.from,
    to: plan.to,
    state: plan.group.state,
    members: plan.group.members,
    dryRun: o.dryRun === true,
    applied,
    recordsRead: plan.recordsRead,
    partitions: plan.partitions.map((p) => ({
      partition: p.partition,
      committed: p.committed,
      lastSeen: recordJson(p.lastSeen),
      matched: recordJson(p.matched),
      offset: p.outcome.kind === 'matched' ? p.outcome.offset : null,
      by: p.outcome.kind === 'matched' ? p.outcome.by : null,
      current: p.current ?? null,
      action: action(plan, p, applied, o.dryRun === true),
    })),
  };
}
