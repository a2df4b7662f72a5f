/**
 * An engine adapter's state directory: one subdirectory per concern (the embedded
 * adapter's jobs, hosts, savepoints, requests, final; the Flink adapter's requests
 * and jars), each created when first used, and file
 * names made safe from ids the orchestrator chose.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const safeName = (id: string): string => id.replace(/[^a-zA-Z0-9._-]/g, '_');

export class StateDir {
  constructor(readonly root: string) {}

  /** The subdirectory `name`, created if missing. */
  sub(name: string): string {
    const d = join(this.root, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** `<sub>/<safe id><ext>`. */
  file(sub: string, id: string, ext: string): string {
    return join(this.sub(sub), `${safeName(id)}${ext}`);
  }
}
