/**
 * The local Apache Flink session cluster, as data: which jars, which config, which
 * command lines. Pure (no I/O): src/dev/flink-process.ts writes and runs what this
 * module describes.
 *
 * `flink-dist` is not on Maven Central, so the classpath is assembled from the
 * artifacts that flink-dist bundles and that are: the runtime, the web frontend (jar
 * upload over REST), the client (runs an uploaded jar's main), the DataStream API,
 * the RocksDB state backend and the connector base. Connectors (Kafka) travel in the
 * job jars, as on any Flink cluster.
 */
import { join } from 'node:path';
import type { JarSet } from './maven.ts';

export const FLINK_VERSION = '2.2.1';
/** The Kafka connector release built for FLINK_VERSION; bundled in the job jars (flink/pom.xml). */
export const FLINK_KAFKA_CONNECTOR_VERSION = '5.0.0-2.2';
/** The log4j release Flink 2.2 is built and tested with. */
const LOG4J_VERSION = '2.24.3';

const flink = (artifactId: string) => ({ groupId: 'org.apache.flink', artifactId, version: FLINK_VERSION });
const log4j = (artifactId: string) => ({ groupId: 'org.apache.logging.log4j', artifactId, version: LOG4J_VERSION });

export const FLINK_JARS: JarSet = {
  name: `flink-${FLINK_VERSION}`,
  artifacts: [
    flink('flink-runtime'),
    flink('flink-runtime-web'),
    flink('flink-clients'),
    flink('flink-streaming-java'),
    flink('flink-statebackend-rocksdb'),
    flink('flink-connector-base'),
    // Flink logs through slf4j 1.x: the log4j binding for it (not log4j-slf4j2-impl).
    log4j('log4j-slf4j-impl'),
    log4j('log4j-api'),
    log4j('log4j-core'),
    // Libraries that log through the log4j 1 API (as flink-dist's lib/ carries it).
    log4j('log4j-1.2-api'),
  ],
};

export type FlinkRole = 'jobmanager' | 'taskmanager';

export const FLINK_MAIN_CLASS: Record<FlinkRole, string> = {
  jobmanager: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  taskmanager: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
};

/** What BashJavaUtils is asked for each role (Flink's jobmanager.sh / taskmanager.sh do the same). */
export const RESOURCE_PARAMS_COMMAND: Record<FlinkRole, string> = {
  jobmanager: 'GET_JM_RESOURCE_PARAMS',
  taskmanager: 'GET_TM_RESOURCE_PARAMS',
};

export const BASH_JAVA_UTILS = 'org.apache.flink.runtime.util.bash.BashJavaUtils';

/**
 * Java 17 module access Flink needs: the default `env.java.opts.all` of Flink's own
 * config.yaml (flink-dist), which its scripts put on every JVM's command line.
 */
export const JAVA17_OPTS: readonly string[] = [
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.text=ALL-UNNAMED',
  '--add-opens=java.base/java.time=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED',
];

export interface FlinkLayout {
  readonly dir: string;
  readonly configDir: string;
  readonly configFile: string;
  readonly log4jFile: string;
  readonly checkpoints: string;
  readonly savepoints: string;
  readonly tmp: string;
  readonly webUpload: string;
  /** An empty plugins directory (Flink looks for one; without it, it warns at every start). */
  readonly plugins: string;
  readonly logFile: Record<FlinkRole, string>;
}

export function flinkLayout(devDir: string): FlinkLayout {
  const dir = join(devDir, 'flink');
  const configDir = join(dir, 'conf');
  return {
    dir,
    configDir,
    configFile: join(configDir, 'config.yaml'),
    log4jFile: join(configDir, 'log4j-console.properties'),
    checkpoints: join(dir, 'checkpoints'),
    savepoints: join(dir, 'savepoints'),
    tmp: join(dir, 'tmp'),
    webUpload: join(dir, 'web-upload'),
    plugins: join(dir, 'plugins'),
    logFile: { jobmanager: join(dir, 'jobmanager.log'), taskmanager: join(dir, 'taskmanager.log') },
  };
}

export interface FlinkClusterSettings {
  readonly restPort: number;
  readonly rpcPort: number;
  /** Task slots of the one TaskManager: the highest parallelism a job can run with. */
  readonly slots: number;
  readonly jobManagerMemory: string;
  readonly taskManagerMemory: string;
}

/** Modest defaults: the machine (2 cores, 24 GiB) is shared with Kafka and the tests. */
export const DEFAULT_FLINK_SETTINGS: Omit<FlinkClusterSettings, 'restPort' | 'rpcPort'> = {
  slots: 8,
  jobManagerMemory: '1024m',
  taskManagerMemory: '2048m',
};

/** Flat keys: Flink 2.x reads only config.yaml, and takes flattened keys there as well as nested ones. */
export function flinkConfigEntries(layout: FlinkLayout, s: FlinkClusterSettings): [string, string | number | boolean][] {
  return [
    // Every address and bind address on loopback: no socket of the cluster leaves the machine.
    ['jobmanager.rpc.address', '127.0.0.1'],
    ['jobmanager.rpc.port', s.rpcPort],
    ['jobmanager.bind-host', '127.0.0.1'],
    ['taskmanager.host', '127.0.0.1'],
    ['taskmanager.bind-host', '127.0.0.1'],
    ['rest.address', '127.0.0.1'],
    ['rest.bind-address', '127.0.0.1'],
    ['rest.port', s.restPort],
    ['jobmanager.memory.process.size', s.jobManagerMemory],
    ['taskmanager.memory.process.size', s.taskManagerMemory],
    ['taskmanager.numberOfTaskSlots', s.slots],
    // No parallelism.default: a job runs with its run request's parallelism, else its own default.
    ['jobmanager.execution.failover-strategy', 'region'],
    // Jobs are submitted as jars over REST (POST /jars/upload, /jars/:id/run).
    ['web.submit.enable', true],
    ['web.cancel.enable', true],
    ['web.upload.dir', layout.webUpload],
    ['execution.checkpointing.dir', `file://${layout.checkpoints}`],
    ['execution.checkpointing.savepoint-dir', `file://${layout.savepoints}`],
    ['state.backend.type', 'hashmap'],
    ['io.tmp.dirs', layout.tmp],
    // Vertex watermarks and record counts over REST are at most this old (default 10 s).
    ['metrics.fetcher.update-interval', 1000],
    ['env.java.opts.all', JAVA17_OPTS.join(' ')],
  ];
}

/** A YAML scalar: plain when YAML reads it back as the same string, else double-quoted. */
function yamlScalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return /^[A-Za-z0-9_./:=-][A-Za-z0-9_./:= -]*$/.test(v) && !/[:#] |\s$/.test(v) && !/^(true|false|null|yes|no|on|off|~)$/i.test(v) ? v : JSON.stringify(v);
}

export function flinkConfigYaml(layout: FlinkLayout, s: FlinkClusterSettings): string {
  const lines = flinkConfigEntries(layout, s).map(([k, v]) => `${k}: ${yamlScalar(v)}`);
  return ['# Written by `pitlane dev up --flink`: a session cluster on loopback.', ...lines, ''].join('\n');
}

/** log4j2 config: everything to the console, which the launcher sends to the role's log file. */
export const FLINK_LOG4J = `# Written by \`pitlane dev up --flink\`.
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = ConsoleAppender
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.netty.name = org.apache.flink.shaded.netty4.io.netty
logger.netty.level = WARN
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
`;

export interface ResourceParams {
  /** JVM flags (heap, direct memory, metaspace). */
  readonly jvm: string[];
  /** `-D key=value` pairs the process takes as program arguments. */
  readonly dynamic: string[];
}

const RESULT_PREFIX = 'BASH_JAVA_UTILS_EXEC_RESULT:';

/**
 * Reads BashJavaUtils' answer as Flink's bash-java-utils.sh does: of its output, the
 * two lines with the result prefix; the first holds JVM flags, the second dynamic
 * properties. Undefined when the output does not have exactly two such lines.
 */
export function parseResourceParams(output: string): ResourceParams | undefined {
  const results = output.split('\n').filter((l) => l.startsWith(RESULT_PREFIX)).map((l) => l.slice(RESULT_PREFIX.length).trim());
  if (results.length !== 2) return undefined;
  const words = (s: string) => s.split(/\s+/).filter((w) => w !== '');
  return { jvm: words(results[0]!), dynamic: words(results[1]!) };
}

/** The system property that marks a process as this dev dir's Flink role (pid-reuse guard for `down`). */
export function flinkMarker(devDir: string, role: FlinkRole): string {
  return `-Dpitlane.flink.${role}=${devDir}`;
}

export function classpathOf(jars: readonly string[]): string {
  return [...jars].sort().join(':');
}

/** `java` arguments for BashJavaUtils (the memory flags of a role). */
export function resourceParamsArgs(layout: FlinkLayout, role: FlinkRole, classpath: string): string[] {
  return ['-Xmx128m', '-XX:+UseSerialGC', '-classpath', classpath, BASH_JAVA_UTILS, RESOURCE_PARAMS_COMMAND[role], '--configDir', layout.configDir];
}

/** `java` arguments for one role, laid out as Flink's flink-console.sh does. */
export function flinkJavaArgs(devDir: string, layout: FlinkLayout, role: FlinkRole, classpath: string, params: ResourceParams): string[] {
  return [
    ...params.jvm,
    // taskmanager.sh sets G1 when no other GC is configured; the JobManager gets it too.
    '-XX:+UseG1GC',
    ...JAVA17_OPTS,
    flinkMarker(devDir, role),
    `-Dlog.file=${layout.logFile[role]}`,
    `-Dlog4j.configuration=file:${layout.log4jFile}`,
    `-Dlog4j.configurationFile=file:${layout.log4jFile}`,
    '-classpath',
    classpath,
    FLINK_MAIN_CLASS[role],
    '--configDir',
    layout.configDir,
    ...params.dynamic,
  ];
}
