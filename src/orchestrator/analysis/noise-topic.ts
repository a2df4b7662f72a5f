/**
 * The noise replica's topic. Unlike the canary topic (which the user names and
 * creates, because downstream consumers may move to it), the noise topic is an
 * artefact of the analysis only, so `canary start` creates it when it is missing,
 * with the authoritative output's partition count. It is kept afterwards, like
 * the canary topic: `pitlane compare --a OUT --b CANARY --noise NOISE` can then
 * judge the same three streams again offline.
 */
import { KafkaError } from '../../errors.ts';
import type { KafkaPort } from '../../kafka/port.ts';
import type { Logger } from '../../logger.ts';

/** Creates `topic` like `like` unless it exists; returns whether it was created. */
export async function ensureNoiseTopic(kafka: KafkaPort, topic: string, like: string, logger: Logger): Promise<boolean> {
  if ((await kafka.listTopics()).includes(topic)) return false;
  const partitions = await kafka.partitionCount(like);
  try {
    await kafka.createTopics([{ topic, partitions }]);
  } catch (e) {
    // Another `canary start` may have created it in between; that is the same outcome.
    if (!(e instanceof KafkaError) || !(await kafka.listTopics()).includes(topic)) throw e;
    return false;
  }
  logger.info({ topic, partitions }, 'noise topic created');
  return true;
}
