/**
 * Other Kafka clients than pitlane's, for tests that read what they write or write
 * what they read: kcat (librdkafka) from Debian's packages, and Kafka's own Java
 * producer (its console producer) and consumer (a single-file program) from the dev
 * launcher's Kafka jars. Plus a look at the codec each
 * stored record batch carries, straight from a Fetch response.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureKafkaJars } from '../../src/dev/kafka-broker.ts';
import { requireJava } from '../../src/dev/maven.ts';
import { cacheRoot } from '../../src/dev/paths.ts';
import { BrokerConnection } from '../../src/kafka/fetch-wire.ts';
import { COMPRESSIONS } from '../../src/kafka/codecs.ts';

const brokers = () => process.env.KAFKA_BROKERS!;

/** Fails with what to do when kcat is missing (scripts/setup-system.sh installs it). */
export function requireKcat(): void {
  const probe = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('kcat is not installed, and this test reads and writes topics with it (librdkafka): run `npm run setup` (scripts/setup-system.sh), or `apt-get install -y kcat` on Debian/Ubuntu.');
  }
}

/** Runs a command with `input` on stdin; rejects with its stderr unless it exits 0. */
function run(cmd: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}

/** `key|value` lines produced by kcat (librdkafka) with codec `-z`. */
export async function kcatProduce(topic: string, codec: string, lines: readonly string[]): Promise<void> {
  await run('kcat', ['-P', '-b', brokers(), '-t', topic, '-z', codec, '-K', '|', '-X', 'linger.ms=20'], `${lines.join('\n')}\n`);
}

/** Every record of a topic as `key|value`, read by kcat (librdkafka; read_committed, its default). */
export async function kcatConsume(topic: string): Promise<string[]> {
  const out = await run('kcat', ['-C', '-b', brokers(), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k|%s\n'], '');
  return out.split('\n').filter((l) => l !== '');
}

/** `key|value` lines produced by Kafka's Java producer (kafka.tools.ConsoleProducer) with `codec`. */
export async function javaProduce(topic: string, codec: string, lines: readonly string[]): Promise<void> {
  requireJava();
  const jars = await ensureKafkaJars(cacheRoot());
  await run(
    'java',
    ['-Xmx256m', '-cp', join(jars.dir, '*'), 'kafka.tools.ConsoleProducer', '--bootstrap-server', brokers(), '--topic', topic, '--compression-codec', codec, '--property', 'parse.key=true', '--property', 'key.separator=|', '--producer-property', 'acks=all'],
    `${lines.join('\n')}\n`,
  );
}

/** Every record of a topic as `key|value`, read by Kafka's Java consumer (read_committed; test/support/java/ReadTopic.java). */
export async function javaConsume(topic: string): Promise<string[]> {
  requireJava();
  const jars = await ensureKafkaJars(cacheRoot());
  const program = new URL('./java/ReadTopic.java', import.meta.url).pathname;
  const out = await run('java', ['-Xmx256m', '-cp', join(jars.dir, '*'), program, brokers(), topic], '');
  return out.split('\n').filter((l) => l !== '');
}

/**
 * How many records of partitions 0…n-1 of a topic (on a single-broker test cluster)
 * are stored in batches of each codec, as the attribute bits of each batch say.
 * librdkafka sends a batch uncompressed when compressing would not make it smaller
 * (a first record sent alone, say), so its topics may hold some `none` batches.
 */
export async function recordsByCodec(topic: string, partitions: number): Promise<Record<string, number>> {
  return (await storedBatches(topic, partitions)).records;
}

/** Records per codec (recordsByCodec), and the bytes of the stored batches of a topic, as fetched. */
export async function storedBatches(topic: string, partitions: number): Promise<{ records: Record<string, number>; bytes: number }> {
  const [host, port] = brokers().split(',')[0]!.split(':');
  const c = new BrokerConnection(host!, Number(port), { clientId: 'codec-probe', connectionTimeoutMs: 5000, requestTimeoutMs: 10000 });
  const counts: Record<string, number> = {};
  let bytes = 0;
  try {
    // One fetch may stop short of the end (it reads from one log segment): fetch on until each partition's high watermark.
    const next = Array.from({ length: partitions }, () => 0);
    const left = new Set(next.keys());
    for (let round = 1; left.size > 0; round++) {
      if (round > 1000) throw new Error(`reading ${topic} to its end took over 1000 fetches`);
      const parts = [...left].map((partition) => ({ partition, offset: next[partition]!, maxBytes: 8 << 20 }));
      const fetched = await c.fetch({ maxWaitMs: 0, minBytes: 0, maxBytes: 32 << 20, readCommitted: false, topics: new Map([[topic, parts]]) });
      for (const fp of fetched) {
        if (fp.errorCode !== 0) throw new Error(`fetch of ${topic}/${fp.partition}: Kafka error ${fp.errorCode}`);
        for (let at = 0; at + 61 <= fp.records.length; ) {
          const size = 12 + fp.records.readInt32BE(at + 8);
          if (at + size > fp.records.length) break; // cut short: fetched again from its offset
          const base = Number(fp.records.readBigInt64BE(at));
          const last = base + fp.records.readInt32BE(at + 23);
          const attributes = fp.records.readInt16BE(at + 21);
          if (last >= next[fp.partition]! && (attributes & 0x20) === 0) {
            const codec = COMPRESSIONS[attributes & 7] ?? `codec ${attributes & 7}`;
            counts[codec] = (counts[codec] ?? 0) + fp.records.readInt32BE(at + 57);
          }
          if (last >= next[fp.partition]!) bytes += size;
          next[fp.partition] = Math.max(next[fp.partition]!, last + 1);
          at += size;
        }
        if (next[fp.partition]! >= fp.highWatermark) left.delete(fp.partition);
      }
    }
  } finally {
    c.close();
  }
  return { records: counts, bytes };
}
