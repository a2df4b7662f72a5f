import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `lines` lines of a file, such as a process's log (reads at most the last 256 KiB). */
export function tailFile(path: string, lines: number): string[] {
  if (!existsSync(path)) return [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}
