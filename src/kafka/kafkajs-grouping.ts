/**
 * kafkajs groups a send's messages by partition with `[...current, message]` per
 * message (src/producer/groupMessagesPerPartition.js): quadratic in the messages per
 * partition, and the largest cost of producing a few thousand records in one send
 * (two thirds of the engine's Kafka sink time in a profile). kafkajs is no longer
 * released, so this puts a linear grouping with the same result — each partition's
 * messages in send order — in its place in Node's module cache, before kafkajs'
 * producer loads the module. Imported first by every file of the port that imports
 * kafkajs; `linearGrouping` says whether it took effect (it cannot once something
 * else in the process loaded kafkajs' producer first: sends are then only slower).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface GroupArgs {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly unknown[];
  partitioner: (a: { topic: string; partitionMetadata: readonly unknown[]; message: unknown }) => number;
}

function groupMessagesPerPartition({ topic, partitionMetadata, messages, partitioner }: GroupArgs): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

function install(): boolean {
  const grouping = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');
  const sender = require.resolve('kafkajs/src/producer/sendMessages');
  if (require.cache[sender]) return require.cache[grouping]?.exports === groupMessagesPerPartition;
  require(grouping);
  require.cache[grouping]!.exports = groupMessagesPerPartition;
  return true;
}

export const linearGrouping: boolean = install();
export { groupMessagesPerPartition };
