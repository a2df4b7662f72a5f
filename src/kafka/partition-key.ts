/**
 * The one key for a topic-partition in maps and sets, everywhere in pitlane.
 * `/` cannot occur in a Kafka topic name (legal characters are ASCII letters,
 * digits, `.`, `_` and `-`), so the key names exactly one partition.
 */
export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;
