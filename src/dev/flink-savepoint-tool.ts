/**
 * Where the Flink preflight's savepoint tool runs from on this machine: its jar, built
 * with the Flink jobs (flink/savepoint-tool, cached by content), and the Flink jars
 * the local session cluster runs on (resolved once from Maven Central), so the tool
 * reads savepoints with the classes of the Flink version that wrote them.
 */
import { buildFlinkJobs } from './flink-jobs-build.ts';
import { JAVA17_OPTS } from './flink-cluster.ts';
import { ensureFlinkJars } from './flink-process.ts';
import { cacheRoot } from './paths.ts';

/** As src/engines/flink/savepoint-tool.ts takes it (src/dev does not import the engines). */
export interface SavepointToolCommand {
  readonly classpath: readonly string[];
  readonly jvmArgs: readonly string[];
}

/** The tool's classpath and JVM flags; builds or resolves what the cache does not have yet. */
export async function flinkSavepointTool(cacheDir: string = cacheRoot()): Promise<SavepointToolCommand> {
  const [built, flink] = await Promise.all([buildFlinkJobs({ cacheDir }), ensureFlinkJars(cacheDir)]);
  return {
    classpath: [built.jars['savepoint-tool'], ...[...flink.jars].sort()],
    // A small heap: it reads metadata and serializer snapshots, never the state's data.
    jvmArgs: ['-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...JAVA17_OPTS],
  };
}
