/**
 * A Flink job's program arguments. pitlane fills placeholders in the arguments a
 * spec (or `pitlane flink run --arg`) gives, so any jar can take its inputs, sink
 * topic and identity however it names its own flags:
 *
 *   {bootstrapServers}  the Kafka bootstrap servers pitlane uses
 *   {inputs}            the input topics, comma-separated
 *   {sinkTopic}         the topic the job writes (the canary topic while shadowing)
 *   {identity}          the job's consumer group and transactional id prefix
 *   {startingOffsets}   earliest | latest | timestamp:MS (ignored by a restore)
 *   {commitIntervalMs}  the checkpoint interval: exactly-once output is visible at each
 *
 * Without arguments a job gets pitlane's own contract (flink/common JobArgs), which
 * the Flink jobs under flink/ read.
 */
import { ConfigError } from '../../errors.ts';
import type { InputStart } from '../adapter.ts';

export interface ArgValues {
  readonly bootstrapServers: string;
  readonly inputs: readonly string[];
  readonly sinkTopic: string;
  readonly identity: string;
  readonly startingOffsets: InputStart;
  readonly commitIntervalMs: number;
}

export const DEFAULT_FLINK_ARGS: readonly string[] = [
  '--bootstrap-servers', '{bootstrapServers}',
  '--input', '{inputs}',
  '--output', '{sinkTopic}',
  '--group-id', '{identity}',
  '--transactional-id-prefix', '{identity}',
  '--starting-offsets', '{startingOffsets}',
  '--checkpoint-interval-ms', '{commitIntervalMs}',
];

export const PLACEHOLDERS = ['bootstrapServers', 'inputs', 'sinkTopic', 'identity', 'startingOffsets', 'commitIntervalMs'] as const;

function startingOffsets(s: InputStart): string {
  return typeof s === 'string' ? s : `timestamp:${s.timestamp}`;
}

/** The arguments with every placeholder filled; an unknown placeholder is an error naming the known ones. */
export function programArgs(template: readonly string[] | undefined, v: ArgValues): string[] {
  const values: Record<string, string> = {
    bootstrapServers: v.bootstrapServers,
    inputs: v.inputs.join(','),
    sinkTopic: v.sinkTopic,
    identity: v.identity,
    startingOffsets: startingOffsets(v.startingOffsets),
    commitIntervalMs: String(v.commitIntervalMs),
  };
  return (template ?? DEFAULT_FLINK_ARGS).map((arg) =>
    arg.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) {
        throw new ConfigError('FLINK_BAD_ARG_PLACEHOLDER', `The program argument ${JSON.stringify(arg)} names ${whole}, which pitlane does not fill.`, {
          hint: `Use one of ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}, or write the value itself.`,
        });
      }
      return value;
    }),
  );
}
