/**
 * The offline store: a local directory. Per deployment, an append-only
 * transitions log `<name>.transitions.jsonl` (the truth) and the current record
 * `<name>.json` (a readable view, written atomically via rename).
 *
 * Commit point: the fsync'd log line. A crash after it but before the view is
 * renamed leaves the view one revision behind; `load` reads the log and repairs
 * the view. A torn last line (crash mid-append) was never committed and is
 * ignored (and cut off by the next append).
 *
 * Concurrency between processes: an exclusive lock file per deployment, held
 * for the read-compare-append; a lock whose owner pid is gone is broken.
 *
 * The savepoint history: one file per entry, `savepoints/<id>.json`, written
 * atomically (last writer wins) and deleted when the savepoint is disposed of.
 * The notify log likewise: `notify/<name>/<id>.json` per delivery (last writer wins).
 */
import { mkdir, open, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors.ts';
import type { Deployment, TransitionEntry } from '../lifecycle/model.ts';
import type { SavepointRecord } from '../savepoints/record.ts';
import type { NotificationRecord } from '../notify/record.ts';
import { checkEntry, staleRevision, type DeploymentStore } from './port.ts';
import { sleep } from '../../clock.ts';
import { writeFileAtomic } from '../../files.ts';

const LOG = '.transitions.jsonl';
const SAVEPOINTS = 'savepoints';
const NOTIFY = 'notify';

export class LocalDeploymentStore implements DeploymentStore {
  readonly description: string;

  constructor(private readonly dir: string, private readonly lockRetries = 200) {
    this.description = `dir:${dir}`;
  }

  private logPath(name: string) {
    return join(this.dir, `${name}${LOG}`);
  }
  private viewPath(name: string) {
    return join(this.dir, `${name}.json`);
  }

  /** Committed entries and the byte length they occupy (a torn tail is excluded). */
  private async readLog(name: string): Promise<{ entries: TransitionEntry[]; committedBytes: number; totalBytes: number }> {
    let text: string;
    try {
      text = await readFile(this.logPath(name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], committedBytes: 0, totalBytes: 0 };
      throw e;
    }
    const entries: TransitionEntry[] = [];
    let committed = 0;
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break; // torn tail: never committed
      const line = text.slice(pos, nl);
      try {
        entries.push(JSON.parse(line) as TransitionEntry);
      } catch {
        throw new StoreError('STORE_CORRUPT', `Line ${entries.length + 1} of ${this.logPath(name)} is not valid JSON.`, {
          hint: 'The file was edited or damaged; restore it from a backup, or remove the broken line if it is the last one.',
        });
      }
      pos = nl + 1;
      committed = Buffer.byteLength(text.slice(0, pos));
    }
    return { entries, committedBytes: committed, totalBytes: Buffer.byteLength(text) };
  }

  async load(name: string): Promise<Deployment | undefined> {
    const { entries } = await this.readLog(name);
    const last = entries.at(-1);
    if (!last) return undefined;
    const view = await readFile(this.viewPath(name), 'utf8').then((t) => JSON.parse(t) as Deployment, () => undefined);
    if (!view || view.revision < last.revision) await this.writeView(last.record);
    return last.record;
  }

  async list(): Promise<Deployment[]> {
    const names = await this.listDir(this.dir);
    const out: Deployment[] = [];
    for (const f of names.filter((n) => n.endsWith(LOG)).sort()) {
      const d = await this.load(f.slice(0, -LOG.length));
      if (d) out.push(d);
    }
    return out;
  }

  /** A directory's entries; none when it does not exist yet. Any other failure (permissions, not a directory, I/O) is the store's to report, not an empty list. */
  private async listDir(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StoreError('STORE_UNREADABLE', `Cannot list ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
        cause: e,
        hint: 'Check that the store directory is a directory this user can read (dir: store, or --state-dir).',
      });
    }
  }

  async history(name: string): Promise<TransitionEntry[]> {
    return (await this.readLog(name)).entries;
  }

  async append(entry: TransitionEntry, savepoints: readonly SavepointRecord[] = []): Promise<void> {
    checkEntry(entry);
    await mkdir(this.dir, { recursive: true });
    const release = await this.lock(entry.name);
    try {
      const { entries, committedBytes, totalBytes } = await this.readLog(entry.name);
      const current = entries.at(-1)?.revision ?? 0;
      if (entry.revision !== current + 1) throw staleRevision(entry.name, entry.revision, current, this.description);
      if (totalBytes > committedBytes) await truncate(this.logPath(entry.name), committedBytes);
      for (const r of savepoints) await this.putSavepoint(r);
      const fh = await open(this.logPath(entry.name), 'a');
      try {
        await fh.write(`${JSON.stringify(entry)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.writeView(entry.record);
    } finally {
      await release();
    }
  }

  async savepoints(): Promise<SavepointRecord[]> {
    const dir = join(this.dir, SAVEPOINTS);
    const files = (await this.listDir(dir)).filter((f) => f.endsWith('.json')).sort();
    const out: SavepointRecord[] = [];
    for (const f of files) {
      // A file removed between the listing and the read was disposed of meanwhile.
      const text = await readFile(join(dir, f), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      try {
        out.push(JSON.parse(text) as SavepointRecord);
      } catch {
        throw new StoreError('STORE_CORRUPT', `${join(dir, f)} is not valid JSON.`, { hint: 'The file was edited or damaged; restore it from a backup, or remove it (the savepoint itself is not touched).' });
      }
    }
    return out;
  }

  async putSavepoint(record: SavepointRecord): Promise<void> {
    await mkdir(join(this.dir, SAVEPOINTS), { recursive: true });
    await writeFileAtomic(join(this.dir, SAVEPOINTS, `${record.id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }

  async removeSavepoint(id: string): Promise<void> {
    await rm(join(this.dir, SAVEPOINTS, `${id}.json`), { force: true });
  }

  async notifications(name: string): Promise<NotificationRecord[]> {
    const dir = join(this.dir, NOTIFY, name);
    const files = (await this.listDir(dir)).filter((f) => f.endsWith('.json')).sort();
    const out: NotificationRecord[] = [];
    for (const f of files) {
      const text = await readFile(join(dir, f), 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      try {
        out.push(JSON.parse(text) as NotificationRecord);
      } catch {
        throw new StoreError('STORE_CORRUPT', `${join(dir, f)} is not valid JSON.`, { hint: 'The file was edited or damaged; remove it (the event is then owed again and delivered once more).' });
      }
    }
    return out;
  }

  async putNotification(record: NotificationRecord): Promise<void> {
    const dir = join(this.dir, NOTIFY, record.deployment);
    await mkdir(dir, { recursive: true });
    // Ids hold '@' and '#': kept readable, with nothing a file name cannot carry.
    await writeFileAtomic(join(dir, `${encodeURIComponent(record.id)}.json`), `${JSON.stringify(record, null, 2)}\n`);
  }

  private async writeView(d: Deployment): Promise<void> {
    await writeFileAtomic(this.viewPath(d.name), `${JSON.stringify(d, null, 2)}\n`);
  }

  private async lock(name: string): Promise<() => Promise<void>> {
    const path = join(this.dir, `${name}.lock`);
    for (let i = 0; i < this.lockRetries; i++) {
      try {
        const fh = await open(path, 'wx');
        await fh.write(String(process.pid));
        await fh.close();
        return () => rm(path, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number(await readFile(path, 'utf8').catch(() => ''));
        if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
          await rm(path, { force: true });
          continue;
        }
        await sleep(25);
      }
    }
    throw new StoreError('STORE_LOCKED', `The deployment ${name} in ${this.dir} is locked by another pitlane process.`, {
      retriable: true,
      hint: `Retry in a moment; if no pitlane process is running, remove ${path}.`,
    });
  }

  async close(): Promise<void> {}
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
