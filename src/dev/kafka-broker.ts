import { existsSync, mkdirSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DevEnvError } from '../errors.ts';
import { resolveJars, type JarSet, type ResolvedJars } from './maven.ts';

export const KAFKA_VERSION = '3.9.1';

export const KAFKA_JARS: JarSet = {
  name: `kafka-${KAFKA_VERSION}`,
  artifacts: [
    { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: KAFKA_VERSION },
    // The broker logs through slf4j; reload4j is the binding Kafka 3.9's own distribution ships.
    { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' },
  ],
};

export interface BrokerLayout {
  readonly dir: string;
  readonly logDirs: string;
  readonly configFile: string;
  readonly log4jFile: string;
  readonly logFile: string;
}

export function brokerLayout(devDir: string): BrokerLayout {
  const dir = join(devDir, 'kafka');
  return {
    dir,
    logDirs: join(dir, 'kraft-logs'),
    configFile: join(dir, 'server.properties'),
    log4jFile: join(dir, 'log4j.properties'),
    logFile: join(dir, 'broker.log'),
  };
}

/** A single-node KRaft config: one process is broker and controller, all on 127.0.0.1. */
export function kraftConfig(layout: BrokerLayout, port: number, controllerPort: number): string {
  return [
    '# Written by `pitlane dev up`: single-node KRaft (broker + controller) on loopback.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${layout.logDirs}`,
    'num.partitions=1',
    // Topics are created on purpose, so a typo in a topic name is an error, not a new topic.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    // Retention by size only. Time retention judges a record by its own timestamp, and
    // event-time jobs, examples and tests replay data stamped in the past (2023): with
    // a time limit, the check every 5 minutes deletes such records, committed output
    // included, from under a running job or test.
    'log.retention.ms=-1',
    'log.retention.bytes=1073741824',
    'log.segment.bytes=67108864',
    'message.max.bytes=10485760',
    '',
  ].join('\n');
}

const LOG4J = `# Written by \`pitlane dev up\`.
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
`;

/**
 * Base64url of 16 random bytes: the shape of a Kafka cluster id. Like Kafka's own
 * Uuid.randomUuid, an id starting with "-" is drawn again: the storage tool's argument
 * parser would read it as an option (it did, once in 64 starts).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function classpath(jars: ResolvedJars): string {
  return join(jars.dir, '*');
}

const JVM_OPTS = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

/** Writes the config and formats storage once (a formatted log dir is reused). */
export function prepareBroker(layout: BrokerLayout, jars: ResolvedJars, port: number, controllerPort: number): void {
  mkdirSync(layout.logDirs, { recursive: true });
  writeFileSync(layout.configFile, kraftConfig(layout, port, controllerPort));
  writeFileSync(layout.log4jFile, LOG4J);
  if (existsSync(join(layout.logDirs, 'meta.properties'))) return;
  const r = spawnSync(
    'java',
    [...JVM_OPTS, `-Dlog4j.configuration=file:${layout.log4jFile}`, '-cp', classpath(jars), 'kafka.tools.StorageTool', 'format', `--cluster-id=${newClusterId()}`, '-c', layout.configFile, '--ignore-formatted'],
    { encoding: 'utf8', timeout: 120000 },
  );
  if (r.status !== 0) {
    throw new DevEnvError('DEV_KAFKA_FORMAT_FAILED', `Formatting the KRaft storage in ${layout.logDirs} failed:\n${(r.stderr || r.stdout || String(r.error)).trim().slice(-2000)}`, {
      hint: `Remove ${layout.dir} (or run \`pitlane dev down --purge\`) and try again.`,
    });
  }
}

/** Starts the broker detached, its output appended to the log file; returns its pid. */
export function spawnBroker(layout: BrokerLayout, jars: ResolvedJars): number {
  const out = openSync(layout.logFile, 'a');
  try {
    const child = spawn('java', [...JVM_OPTS, `-Dlog4j.configuration=file:${layout.log4jFile}`, '-cp', classpath(jars), 'kafka.Kafka', layout.configFile], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    if (child.pid === undefined) throw new DevEnvError('DEV_SPAWN_FAILED', 'Could not start java for the Kafka broker.', { hint: 'Check that `java -version` works.' });
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export async function ensureKafkaJars(cacheDir: string): Promise<ResolvedJars> {
  return resolveJars(KAFKA_JARS, cacheDir);
}
