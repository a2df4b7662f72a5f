import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  DEFAULT_FLINK_SETTINGS,
  FLINK_JARS,
  FLINK_MAIN_CLASS,
  FLINK_VERSION,
  JAVA17_OPTS,
  classpathOf,
  flinkConfigYaml,
  flinkJavaArgs,
  flinkLayout,
  flinkMarker,
  parseResourceParams,
  resourceParamsArgs,
} from './flink-cluster.ts';

const layout = flinkLayout('/x/dev');
const settings = { ...DEFAULT_FLINK_SETTINGS, restPort: 28081, rpcPort: 26123 };

test('config.yaml: every host and bind address on loopback, REST on the given port, web submission on', () => {
  const cfg = parse(flinkConfigYaml(layout, settings)) as Record<string, unknown>;
  for (const key of ['jobmanager.rpc.address', 'jobmanager.bind-host', 'taskmanager.host', 'taskmanager.bind-host', 'rest.address', 'rest.bind-address']) {
    assert.equal(cfg[key], '127.0.0.1', key);
  }
  // No other key names an address: anything host-like in the file is loopback.
  for (const [k, v] of Object.entries(cfg)) if (/(host|address)$/.test(k)) assert.equal(v, '127.0.0.1', k);
  assert.equal(cfg['rest.port'], 28081);
  assert.equal(cfg['jobmanager.rpc.port'], 26123);
  assert.equal(cfg['web.submit.enable'], true);
  assert.equal(cfg['web.upload.dir'], '/x/dev/flink/web-upload');
});

test('config.yaml: 8 slots, modest memory, checkpoints and savepoints under the dev dir, fresh REST metrics', () => {
  const cfg = parse(flinkConfigYaml(layout, settings)) as Record<string, unknown>;
  assert.equal(cfg['taskmanager.numberOfTaskSlots'], 8);
  assert.equal(cfg['jobmanager.memory.process.size'], '1024m');
  assert.equal(cfg['taskmanager.memory.process.size'], '2048m');
  // Flink 2.x names (state.checkpoints.dir / state.savepoints.dir are gone).
  assert.equal(cfg['execution.checkpointing.dir'], 'file:///x/dev/flink/checkpoints');
  assert.equal(cfg['execution.checkpointing.savepoint-dir'], 'file:///x/dev/flink/savepoints');
  assert.equal(cfg['metrics.fetcher.update-interval'], 1000);
  assert.equal(cfg['io.tmp.dirs'], '/x/dev/flink/tmp');
  // A job's parallelism comes from its run request or its own default, never a cluster-wide 1.
  assert.equal('parallelism.default' in cfg, false);
  assert.equal(cfg['env.java.opts.all'], JAVA17_OPTS.join(' '));
});

test('the Flink classpath: the runtime pieces of flink-dist from Maven Central, pinned, with the slf4j 1.x log4j binding', () => {
  assert.equal(FLINK_VERSION, '2.2.1');
  const ids = FLINK_JARS.artifacts.map((a) => `${a.groupId}:${a.artifactId}`);
  for (const a of ['flink-runtime', 'flink-runtime-web', 'flink-clients', 'flink-streaming-java', 'flink-statebackend-rocksdb', 'flink-connector-base']) {
    assert.ok(ids.includes(`org.apache.flink:${a}`), a);
  }
  assert.ok(ids.includes('org.apache.logging.log4j:log4j-slf4j-impl'));
  assert.ok(!ids.includes('org.apache.logging.log4j:log4j-slf4j2-impl'));
  for (const a of FLINK_JARS.artifacts.filter((x) => x.groupId === 'org.apache.flink')) assert.equal(a.version, FLINK_VERSION);
  assert.equal(classpathOf(['/c/b.jar', '/c/a.jar']), '/c/a.jar:/c/b.jar');
});

const BASH_JAVA_UTILS_OUTPUT = `WARNING: Unknown module: jdk.compiler specified to --add-exports
INFO  [] - Loading configuration property: taskmanager.numberOfTaskSlots, 8
BASH_JAVA_UTILS_EXEC_RESULT:-Xmx697932173 -Xms697932173 -XX:MaxDirectMemorySize=300647712 -XX:MaxMetaspaceSize=268435456
INFO  [] - The derived from fraction jvm overhead memory (204.800mb (214748368 bytes)) is less than its min value 192.000mb
BASH_JAVA_UTILS_EXEC_RESULT:-D taskmanager.memory.network.min=166429984b -D taskmanager.cpu.cores=8.0 -D taskmanager.numberOfTaskSlots=8
`;

test('parseResourceParams reads the two result lines of BashJavaUtils, as Flink\'s scripts do', () => {
  const p = parseResourceParams(BASH_JAVA_UTILS_OUTPUT);
  assert.deepEqual(p?.jvm, ['-Xmx697932173', '-Xms697932173', '-XX:MaxDirectMemorySize=300647712', '-XX:MaxMetaspaceSize=268435456']);
  assert.deepEqual(p?.dynamic, ['-D', 'taskmanager.memory.network.min=166429984b', '-D', 'taskmanager.cpu.cores=8.0', '-D', 'taskmanager.numberOfTaskSlots=8']);
  assert.equal(parseResourceParams('BASH_JAVA_UTILS_EXEC_RESULT:-Xmx1\n'), undefined, 'one result line is an error');
  assert.equal(parseResourceParams('Exception in thread "main"'), undefined);
});

test('java command lines: memory flags first, Java 17 opens, the pid marker, the entry point, --configDir, then dynamic properties', () => {
  const params = parseResourceParams(BASH_JAVA_UTILS_OUTPUT)!;
  const args = flinkJavaArgs('/x/dev', layout, 'taskmanager', '/c/a.jar', params);
  assert.deepEqual(args.slice(0, params.jvm.length), params.jvm);
  for (const o of JAVA17_OPTS) assert.ok(args.includes(o), o);
  assert.ok(args.includes('--add-opens=java.base/java.util=ALL-UNNAMED'));
  assert.ok(args.includes(flinkMarker('/x/dev', 'taskmanager')));
  assert.ok(args.includes(`-Dlog4j.configurationFile=file:${layout.log4jFile}`));
  const main = args.indexOf(FLINK_MAIN_CLASS.taskmanager);
  assert.equal(args[main - 1], '/c/a.jar');
  assert.deepEqual(args.slice(main + 1), ['--configDir', layout.configDir, ...params.dynamic]);
  const jm = flinkJavaArgs('/x/dev', layout, 'jobmanager', '/c/a.jar', params);
  assert.ok(jm.includes('org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint'));
  assert.notEqual(flinkMarker('/x/dev', 'jobmanager'), flinkMarker('/x/dev', 'taskmanager'));
  assert.deepEqual(resourceParamsArgs(layout, 'jobmanager', '/c/a.jar').slice(-4), ['org.apache.flink.runtime.util.bash.BashJavaUtils', 'GET_JM_RESOURCE_PARAMS', '--configDir', layout.configDir]);
});
