import { spawnSync } from 'node:child_process';

/** Runs a tool with `--version`-like args; undefined when it is not on PATH. */
export function probeTool(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}
