/**
 * The job host: runs one job on the embedded engine and answers for it on the
 * local control channel (../control). Both kinds of host run through here — a
 * job the orchestrator manages (managed.ts, its own detached process) and a job
 * started by `pitlane run` (standalone.ts); a kind says how its job starts and
 * what its controls are (`HostSpec`), this file does the rest.
 *
 * The lifecycle is the pure state machine of lifecycle.ts; this is its thin
 * driver: it feeds it events (requests on the channel, the start's outcome, the
 * job's end, a signal) and performs the effects it returns. A host either starts
 * its job at once (`spec.from`), or comes up as a **standby** (managed only):
 * module loaded, Kafka clients connected, exactly-once producer initialised, and
 * nothing read or written until `activate` names the state to start from. A cold
 * handoff pre-starts the new version this way beside the old one, so only the
 * restore is left between the old job's stop and the new job's first output.
 */
import { resolve } from 'node:path';
import { EngineError, describeUnknown } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { RunningJob } from '../../../engine/index.ts';
import { startControlServer, type ControlServer } from '../control/server.ts';
import type { AnswerOf, BaseRequest, CommandOf, ControlHandler, HostKind, HostStart, ServedHandlers } from '../control/protocol.ts';
import { routeOf, transition, waitingView, activationOf, type HostEffect, type HostEvent, type HostState, type Refusal } from './lifecycle.ts';
import { usableDelta, type RestoredBase, type UsableDelta } from './standby.ts';

/** The commands a running job's controls answer (the host itself answers activate and prerestore). */
export type JobCommand<K extends HostKind> = Exclude<CommandOf<K>, 'activate' | 'prerestore'>;
export type JobControls<K extends HostKind> = { readonly [C in JobCommand<K>]: ControlHandler<C, K> };

export interface HostHandle {
  /** Shuts the host down: stops the job, closes the channel. */
  close(): Promise<void>;
}

/** Where a start's time went; the cold handoff's breakdown reads these from the log. */
export interface LaunchTiming {
  readonly activatedAt: number;
  readonly readMs: number;
  readonly startJobMs: number;
  readonly delta: boolean;
}

/** What a host answers while no job runs: a standby, or one whose start failed. */
export interface StandbyAnswers<K extends HostKind> {
  /** The commands answered without a job; any other is refused with `notStarted`. */
  answers(view: ReturnType<typeof waitingView>, host: { stopWaiting(): void }): Partial<JobControls<K>>;
  notStarted(command: string): Error;
}

/** What differs between the kinds of job host. */
export interface HostSpec<K extends HostKind> {
  /** The job's name on the control channel. */
  readonly jobId: string;
  readonly jobsDir: string;
  /** What the job directory announces besides name and pid. */
  readonly entry: { readonly version: string; readonly jobFile?: string; readonly savepointDir?: string };
  /** The commands the running job answers, in the order an unknown command's answer lists them. */
  readonly commands: readonly JobCommand<K>[];
  /** Start at once from here; absent: come up as a standby. */
  readonly from?: HostStart | undefined;
  readonly log: Logger;
  readonly now: () => number;
  /** Builds the job from `from`; `paused`: restored, reading and writing nothing until `begin`. */
  start(from: HostStart, paused: boolean): Promise<RunningJob>;
  /** The running job's controls; `settled`: answers that must go out before the channel closes. */
  controls(job: RunningJob, host: HostHandle): { readonly handlers: JobControls<K>; readonly settled?: () => Promise<void> };
  /** A kind whose hosts can wait as standbys: it serves activate and prerestore, and answers so while no job runs. */
  readonly standby?: StandbyAnswers<K> | undefined;
  /** The job runs (called before anything else hears of it). */
  launched?(job: RunningJob, from: HostStart, timing: LaunchTiming): void;
  /** The job failed to start (called before the failure is answered). */
  launchFailed?(e: unknown): void;
  /** Releases what no job took over (an output channel opened up front). */
  release(): Promise<void>;
}

export interface Host {
  /** Settles once the host has closed: rejects with the job's failure, if it failed. */
  readonly finished: Promise<void>;
  /** The running job, once there is one. */
  job(): RunningJob | undefined;
  close(): Promise<void>;
}

type ActivateAnswer = AnswerOf<'activate', 'managed'>;

export async function runJobHost<K extends HostKind>(spec: HostSpec<K>): Promise<Host> {
  const { jobId, log, now } = spec;
  let state: HostState = { name: 'standby' };
  let job: RunningJob | undefined;
  let controls: ReturnType<HostSpec<K>['controls']> | undefined;
  let activation: Promise<ActivateAnswer> | undefined;
  let restored: RestoredBase | undefined;
  let server: ControlServer | undefined;
  let shutdown: Promise<void> | undefined;
  let closedDone!: () => void;
  const closed = new Promise<void>((r) => (closedDone = r));

  const step = (event: HostEvent): readonly HostEffect[] => {
    const t = transition(state, event);
    state = t.state;
    for (const e of t.effects) {
      if (e.type === 'shutdown') shutdown = e.deferred ? new Promise((r) => setTimeout(r, 0)).then(closeDown) : closeDown();
      if (e.type === 'discardJob') void job?.stop().catch(() => undefined);
    }
    return t.effects;
  };

  async function closeDown(): Promise<void> {
    await job?.stop().catch(() => undefined);
    await controls?.settled?.().catch(() => undefined);
    await spec.release().catch(() => undefined); // only what no job took over
    // The control server waits for idle keep-alive connections of a long-lived
    // client (a supervisor, a benchmark); a job that has stopped must not.
    if (server) await Promise.race([server.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
    closedDone();
  }
  const close = (): Promise<void> => {
    step({ type: 'close' });
    return shutdown ?? Promise.resolve();
  };

  const refusal = (reason: Refusal, from?: HostStart): Error => {
    if (reason === 'activatedElsewhere') return new EngineError('ENGINE_STANDBY_ALREADY_ACTIVATED', `Job ${jobId} was already started from ${JSON.stringify(activationOf(state))}, not ${JSON.stringify(from)}.`, { hint: 'A standby is activated once; cancel the job to start it from elsewhere.' });
    if (reason === 'notWaiting') return new EngineError('ENGINE_STANDBY_ALREADY_ACTIVATED', `Job ${jobId} has already started; a base is restored ahead only into a waiting standby.`, { hint: 'Cancel the job and prepare a new standby.' });
    return new EngineError('ENGINE_JOB_NOT_RUNNING', `Job ${jobId} is shutting down; it starts nothing more.`, { retriable: true, hint: 'Start the job again once its process has exited.' });
  };

  function prerestore(from: BaseRequest): Promise<{ base: string }> {
    const base = resolve(from.savepoint);
    for (const e of step({ type: 'prerestore', base })) {
      if (e.type === 'refuse') return Promise.reject(refusal(e.reason));
      if (e.type === 'restoreBase') {
        const t0 = now();
        const built = spec.start({ ...from, savepoint: base }, true);
        built.then(() => log.info({ base, restoreMs: now() - t0 }, 'base restored ahead'), (e: unknown) => log.warn({ base, err: describeUnknown(e) }, 'base restore failed'));
        restored = { base, job: built };
      }
    }
    return restored!.job.then(() => ({ base }));
  }

  async function activate(from: HostStart): Promise<ActivateAnswer> {
    // An unusable delta is refused before anything starts: the caller falls back to the full savepoint.
    const pre = !activationOf(state) && 'savepoint' in from && from.delta ? await usableDelta(jobId, restored, from.delta, now) : undefined;
    for (const e of step({ type: 'activate', from, ...(pre ? { base: restored?.base } : {}) })) {
      if (e.type === 'refuse') throw refusal(e.reason, from);
      if (e.type === 'launch') activation = launch(e.from, pre);
    }
    return activation!;
  }

  async function launch(from: HostStart, pre: UsableDelta | undefined): Promise<ActivateAnswer> {
    const t0 = now();
    let started: RunningJob;
    try {
      if (pre) {
        await pre.job.begin(pre.delta);
        started = pre.job;
      } else {
        restored = undefined; // a full restore replaces a base restored ahead
        started = await spec.start(from, false);
      }
    } catch (e) {
      spec.launchFailed?.(e);
      step({ type: 'launchFailed' });
      throw e;
    }
    restored = undefined;
    const t1 = now();
    job = started;
    if (step({ type: 'launched' }).some((e) => e.type === 'discardJob')) return { activated: true, delta: pre !== undefined };
    // With a delta, "read" is the delta file and "start" applies it and starts the sources.
    spec.launched?.(started, from, pre ? { activatedAt: t0 - pre.readMs, readMs: pre.readMs, startJobMs: t1 - t0, delta: true } : { activatedAt: t0, readMs: t1 - t0, startJobMs: 0, delta: false });
    controls = spec.controls(started, { close });
    const ended = () => void step({ type: 'jobEnded' });
    void started.finished.then(ended, ended);
    return { activated: true, delta: pre !== undefined };
  }

  /** Answers `command` as the lifecycle routes it: the job's controls, or the host's answers while no job runs. */
  const serve =
    <C extends JobCommand<K>>(command: C): ControlHandler<C, K> =>
    async (request) => {
      let route = routeOf(state, command);
      if (route === 'afterActivation') {
        await activation?.catch(() => undefined);
        route = routeOf(state, command) === 'controls' ? 'controls' : 'waiting';
      }
      if (route === 'controls' && controls) return controls.handlers[command](request);
      const answer = spec.standby?.answers(waitingView(state), { stopWaiting: () => void step({ type: 'stopWaiting' }) })[command];
      if (answer) return answer(request);
      throw spec.standby?.notStarted(command) ?? new EngineError('ENGINE_JOB_NOT_STARTED', `Job ${jobId} has not started, so it cannot ${command}.`);
    };

  // Built in the order an unknown command's answer lists the commands: the job's, then the standby's.
  const table: ServedHandlers = Object.fromEntries(spec.commands.map((c) => [c, serve(c)]));
  const standbyTable: Pick<ServedHandlers, 'activate' | 'prerestore'> = { activate: (r) => activate(r.from), prerestore: (r) => prerestore(r.from) };
  if (spec.standby) Object.assign(table, standbyTable);

  try {
    if (spec.from) await activate(spec.from);
    server = await startControlServer({ dir: spec.jobsDir, name: jobId, ...spec.entry, handlers: table });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    finished: closed.then(() => job?.finished),
    job: () => job,
    close,
  };
}
