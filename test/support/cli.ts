/**
 * The real `pitlane` CLI as a child process, asynchronously, so the test process keeps
 * serving its own Kafka clients meanwhile: its exit code and everything it printed.
 */
import { spawn } from 'node:child_process';

export const BIN = new URL('../../bin/pitlane.mjs', import.meta.url).pathname;

export function pitlaneCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
