/**
 * Runs what src/dev/flink-cluster.ts describes: resolves the Flink jars into the
 * pitlane cache, writes the config directory, asks BashJavaUtils for each role's
 * memory flags and starts the JobManager and TaskManager as detached JVMs.
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { DevEnvError } from '../errors.ts';
import { resolveJars, type ResolvedJars } from './maven.ts';
import {
  FLINK_JARS,
  FLINK_LOG4J,
  classpathOf,
  flinkConfigYaml,
  flinkJavaArgs,
  parseResourceParams,
  resourceParamsArgs,
  type FlinkClusterSettings,
  type FlinkLayout,
  type FlinkRole,
  type ResourceParams,
} from './flink-cluster.ts';

export async function ensureFlinkJars(cacheDir: string): Promise<ResolvedJars> {
  return resolveJars(FLINK_JARS, cacheDir);
}

/** Writes config.yaml and the log config, and makes the state directories. */
export function prepareFlink(layout: FlinkLayout, settings: FlinkClusterSettings): void {
  for (const d of [layout.configDir, layout.checkpoints, layout.savepoints, layout.tmp, layout.webUpload, layout.plugins]) mkdirSync(d, { recursive: true });
  writeFileSync(layout.configFile, flinkConfigYaml(layout, settings));
  writeFileSync(layout.log4jFile, FLINK_LOG4J);
}

/** Runs BashJavaUtils for a role: the JVM memory flags and dynamic properties Flink derives from the config. */
export async function resourceParams(layout: FlinkLayout, role: FlinkRole, jars: ResolvedJars): Promise<ResourceParams> {
  const out: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const p = spawn('java', resourceParamsArgs(layout, role, classpathOf(jars.jars)), { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => out.push(d.toString()));
    p.stderr.on('data', (d: Buffer) => out.push(d.toString()));
    p.on('error', () => resolve(-1));
    p.on('close', (c) => resolve(c ?? -1));
  });
  const text = out.join('');
  const params = code === 0 ? parseResourceParams(text) : undefined;
  if (!params) {
    throw new DevEnvError('DEV_FLINK_CONFIG_INVALID', `Flink could not derive the ${role}'s memory settings from ${layout.configFile} (exit ${code}):\n${text.trim().split('\n').slice(-15).join('\n')}`, {
      hint: 'Check the memory sizes in the config (or `java -version`), then try again.',
    });
  }
  return params;
}

/** Starts a role detached, its output appended to its log file; returns its pid. */
export function spawnFlinkRole(devDir: string, layout: FlinkLayout, role: FlinkRole, jars: ResolvedJars, params: ResourceParams): number {
  const out = openSync(layout.logFile[role], 'a');
  try {
    const child = spawn('java', flinkJavaArgs(devDir, layout, role, classpathOf(jars.jars), params), {
      detached: true,
      stdio: ['ignore', out, out],
      cwd: layout.dir,
      // Flink reads its config and plugins dirs from here too (e.g. where a job's main builds its environment).
      env: { ...process.env, FLINK_CONF_DIR: layout.configDir, FLINK_PLUGINS_DIR: layout.plugins },
    });
    child.unref();
    if (child.pid === undefined) throw new DevEnvError('DEV_SPAWN_FAILED', `Could not start java for the Flink ${role}.`, { hint: 'Check that `java -version` works.' });
    return child.pid;
  } finally {
    closeSync(out);
  }
}
