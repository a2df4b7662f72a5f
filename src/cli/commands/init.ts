/**
 * `pitlane init DIR`: scaffolds a job project outside pitlane's repository — a v1
 * job, its unit test, a deployment spec and a README — that depends on the pitlane
 * package. It never overwrites a file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import { emit } from '../output.ts';
import type { CliContext } from '../context.ts';
import { initFiles } from './init-templates.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

const NAME = /^[a-z0-9][a-z0-9._-]*$/;

interface PitlanePackage {
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}

function pitlanePackage(): PitlanePackage {
  return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as PitlanePackage;
}

export function scaffold(dir: string, name: string | undefined): { dir: string; name: string; files: string[] } {
  const root = resolve(dir);
  const projectName = name ?? basename(root).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  if (!NAME.test(projectName)) {
    throw new ConfigError('INIT_BAD_NAME', `${JSON.stringify(projectName)} cannot name a job and its deployment.`, { hint: 'Pass --name with lowercase letters, digits, ".", "_" and "-", starting with a letter or digit.' });
  }
  const pkg = pitlanePackage();
  const files = initFiles({
    name: projectName,
    pitlaneVersion: pkg.version,
    versions: { tsx: pkg.dependencies.tsx!, typescript: pkg.devDependencies.typescript!, '@types/node': pkg.devDependencies['@types/node']! },
  });
  const existing = Object.keys(files).filter((f) => existsSync(join(root, f)));
  if (existing.length > 0) {
    throw new ConfigError('INIT_WOULD_OVERWRITE', `${root} already has ${existing.join(', ')}; pitlane init writes nothing over an existing file.`, { hint: 'Choose a new or empty directory.' });
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text, { flag: 'wx' });
  }
  return { dir: root, name: projectName, files: Object.keys(files) };
}

export function registerInit(program: Command, run: Run): void {
  program
    .command('init')
    .description('scaffold a job project: a v1 job, its unit test, a deployment spec and a README (then: cd DIR && npm install)')
    .argument('<dir>', 'the project directory (created if missing; existing files are never overwritten)')
    .option('--name <name>', 'job and deployment name, also the prefix of its topics (default: the directory name)')
    .option('--json', 'print the result as JSON')
    .action((dir: string, o: { name?: string; json?: boolean }) =>
      run(async () => {
        const made = scaffold(dir, o.name);
        emit(made, o, () => [`created ${made.name} in ${made.dir}:`, ...made.files.map((f) => `  ${f}`), '', 'next:', `  cd ${dir} && npm install && npm test`, '  then see README.md'].join('\n'));
      }),
    );
}
