/**
 * The engines an orchestrator drives and which one runs each job of a deployment.
 * A deployment names an engine per role (spec: authoritative.engine,
 * candidate.engine); every job it runs belongs to one role (lifecycle/model.ts
 * roleOfJob), so every engine call goes to that role's adapter — one orchestrator
 * can run the authoritative job on one engine and the candidate on the other.
 * The composition root (create.ts) provides the set; this file knows engines only
 * by their interface.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError, isPitlaneError } from '../errors.ts';
import { capabilitiesOf, type EngineAdapter, type EngineKind } from '../engines/adapter.ts';
import { roleOfJob, type Deployment } from './lifecycle/model.ts';
import type { DeploymentEngines } from './lifecycle/plans.ts';
import type { DeploymentSpec } from './spec/schema.ts';

export interface EngineSet {
  /**
   * The adapter of an engine kind for a deployment (its spec may say where that
   * engine runs: `flink.rest`). A ConfigError saying how to reach the engine when
   * this orchestrator cannot.
   */
  adapter(kind: EngineKind, spec?: Pick<DeploymentSpec, 'flink'>): EngineAdapter;
}

/** The adapter of the engine that runs `jobId` of the deployment. */
export function engineForJob(engines: EngineSet, d: Pick<Deployment, 'name' | 'jobs' | 'spec'>, jobId: string): EngineAdapter {
  return engines.adapter(d.spec[roleOfJob(d, jobId)].engine, d.spec);
}

/** What each role's engine can do: the input of the promotion plan (lifecycle/plans.ts). */
export function deploymentEngines(engines: EngineSet, spec: DeploymentSpec): DeploymentEngines {
  return {
    authoritative: capabilitiesOf(engines.adapter(spec.authoritative.engine, spec)),
    candidate: capabilitiesOf(engines.adapter(spec.candidate.engine, spec)),
  };
}

/**
 * Every job file a spec names, checked before anything is started or savepointed:
 * it is inside the project (a relative path resolves from the directory pitlane
 * runs in and must stay in it; an absolute path is taken as written — the way to
 * name a job elsewhere on purpose), it exists, and its engine loads it (the module
 * default-exports a job; the jar holds its entry class). A ConfigError naming the
 * spec key otherwise.
 */
export async function checkSpecJobs(engines: EngineSet, spec: DeploymentSpec, source: string, cwd = process.cwd()): Promise<void> {
  for (const role of ['authoritative', 'candidate'] as const) {
    const r = spec[role];
    const key = `${role}.${r.engine === 'flink' ? 'jar' : 'job'}`;
    const path = resolve(cwd, r.job);
    if (!isAbsolute(r.job) && relative(cwd, path).startsWith('..')) {
      throw new ConfigError('SPEC_JOB_OUTSIDE_PROJECT', `${key} in ${source} (${r.job}) leads outside the project directory ${cwd}.`, {
        hint: 'A relative path stays inside the directory pitlane runs in; to run a job from elsewhere on purpose, write its absolute path.',
      });
    }
    if (!existsSync(path)) {
      throw new ConfigError('SPEC_JOB_NOT_FOUND', `${key} in ${source} names ${r.job}, which does not exist (${path}); nothing was started.`, {
        hint: `Fix ${key}: a relative path resolves from ${cwd}.`,
      });
    }
    try {
      await engines.adapter(r.engine, spec).checkJob({ job: path, ...(r.flink ? { flink: r.flink } : {}) });
    } catch (e) {
      if (!isPitlaneError(e)) throw e;
      throw new ConfigError(e.code, `${key} in ${source}: ${e.message}; nothing was started.`, { ...(e.hint ? { hint: e.hint } : {}), cause: e });
    }
  }
}
