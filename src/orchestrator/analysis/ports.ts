/**
 * What the shadow loop needs from the rest of the orchestrator, and nothing more:
 * read a deployment, read a job's status, feed the lifecycle an event. The
 * supervisor's composition root (src/orchestrator/supervisor-main.ts) builds these
 * from its orchestrator (the store, the engine adapter, the controller); a test can
 * hand in three small fakes. analysis/ therefore never imports create.ts, which
 * imports analysis/ to build the AnalysisPort.
 */
import type { Deployment, DeploymentEvent } from '../lifecycle/model.ts';
import type { JobStatus } from '../../engines/adapter.ts';

/** The deployment's current record (the durable store's read side). */
export interface DeploymentReader {
  load(name: string): Promise<Deployment | undefined>;
}

/** A job's state as its engine reports it (the engine adapter's status). */
export interface JobStatusReader {
  status(jobId: string): Promise<JobStatus>;
}

/** Applies an analysis event (minimumReached, a verdict) to the deployment's lifecycle (the controller). */
export interface LifecycleDispatcher {
  dispatch(name: string, event: DeploymentEvent): Promise<Deployment>;
}

export interface ShadowPorts {
  readonly deployments: DeploymentReader;
  readonly jobs: JobStatusReader;
  readonly lifecycle: LifecycleDispatcher;
  /** Where the deployment's report files (report.json, .txt, .html) are kept current. */
  readonly reportDir: string;
}
