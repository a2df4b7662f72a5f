/**
 * The engines an orchestrator drives and which one runs each job of a deployment.
 * A deployment names an engine per role (spec: authoritative.engine,
 * candidate.engine); every job it runs belongs to one role (lifecycle/model.ts
 * roleOfJob), so every engine call goes to that role's adapter — one orchestrator
 * can run the authoritative job on one engine and the candidate on the other.
 * The composition root (create.ts) provides the set; this file knows engines only
 * by their interface.
 */
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
