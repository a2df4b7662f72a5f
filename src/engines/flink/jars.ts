/**
 * Jars on the cluster, uploaded once per content: the upload is named after the
 * jar's hash (`pitlane-<hash>-<name>.jar`), so a second start of the same jar — from
 * this process, another machine, or after a crash — finds it in GET /jars instead of
 * uploading again. A JobManager that restarts forgets its uploads; the next start
 * uploads again.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError, EngineError } from '../../errors.ts';
import { FlinkHttpError, type FlinkRest } from './rest.ts';

interface JarList {
  readonly files: readonly { readonly id: string; readonly name: string }[];
}

/** The bytes of a jar: a file that can be read and is a zip. */
async function readJar(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new EngineError('FLINK_JAR_MISSING', `The Flink job jar ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
      hint: 'Check the path (the spec\'s jar, or --jar); build the jar first (for the examples, `pitlane flink jars` builds them).',
      cause: e,
    });
  }
  if (bytes.subarray(0, 2).toString('latin1') !== 'PK') {
    throw new EngineError('FLINK_NOT_A_JAR', `${path} is not a jar (no zip header).`, { hint: 'Name the job\'s shaded jar (for Maven: target/<artifact>.jar).' });
  }
  return bytes;
}

/**
 * A jar (readJar) that holds the entry class's file (a zip keeps its
 * file names uncompressed, so the class's path is in its bytes). Nothing is uploaded.
 */
export async function checkJar(path: string, entryClass: string | undefined): Promise<void> {
  const bytes = await readJar(path);
  if (entryClass === undefined) throw new ConfigError('FLINK_NO_ENTRY_CLASS', `The Flink job ${path} names no entry class.`, { hint: 'Give it entryClass (spec) or --entry-class (CLI).' });
  const file = `${entryClass.replaceAll('.', '/')}.class`;
  if (!bytes.includes(Buffer.from(file, 'latin1'))) {
    throw new ConfigError('FLINK_NO_SUCH_ENTRY_CLASS', `The jar ${path} has no class ${entryClass} (no ${file} in it).`, { hint: 'Check the entry class name against the jar (`jar tf JAR | grep .class`), and that the jar is the shaded one.' });
  }
}

/** The name a jar is uploaded under: its content hash and its own name. */
export function uploadName(path: string, bytes: Buffer): string {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `pitlane-${hash}-${basename(path).replace(/[^a-zA-Z0-9._-]/g, '_')}`;
}

/** The cluster's id of the jar at `path`, uploading it if the cluster does not have this content yet. */
export async function ensureJar(rest: FlinkRest, path: string): Promise<{ readonly jarId: string; readonly uploaded: boolean }> {
  const bytes = await readJar(path);
  const name = uploadName(path, bytes);
  const found = (await rest.get<JarList>('/jars')).files.find((f) => f.name === name);
  if (found) return { jarId: found.id, uploaded: false };
  const form = new FormData();
  form.append('jarfile', new Blob([bytes], { type: 'application/x-java-archive' }), name);
  const r = await rest.upload<{ filename: string }>('/jars/upload', form);
  return { jarId: basename(r.filename), uploaded: true };
}

/** One version of a jar file: its path, size and modification time (a rebuilt jar is another). */
function versionOf(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${path}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * The ids of jars on one cluster that this process has found or uploaded, per version
 * of the file: a start whose jar was prepared ahead (the cold handoff does it while the
 * old job stops) reads, hashes and asks nothing more.
 */
export class ClusterJars {
  private readonly ids = new Map<string, Promise<string>>();

  constructor(private readonly rest: FlinkRest) {}

  /** The jar's id on the cluster: remembered, else found or uploaded now (ensureJar). */
  id(path: string): Promise<string> {
    const version = versionOf(path);
    if (version === undefined) return ensureJar(this.rest, path).then((r) => r.jarId);
    let id = this.ids.get(version);
    if (!id) {
      id = ensureJar(this.rest, path).then((r) => r.jarId);
      this.ids.set(version, id);
      id.catch(() => this.ids.delete(version));
    }
    return id;
  }

  /**
   * Runs the jar (POST /jars/:id/run). A remembered id the cluster has lost (a
   * JobManager that restarted forgets its uploads) is found or uploaded again, and the
   * run asked once more; a refusal with the jar still there is the refusal.
   */
  async run(path: string, body: object): Promise<void> {
    const jarId = await this.id(path);
    try {
      await this.rest.post(`/jars/${jarId}/run`, body);
    } catch (e) {
      const version = versionOf(path);
      if (!(e instanceof FlinkHttpError) || version === undefined) throw e;
      this.ids.delete(version);
      const again = await this.id(path);
      if (again === jarId) throw e;
      await this.rest.post(`/jars/${again}/run`, body);
    }
  }
}
