/**
 * The dashboard's JSON API: the deployments (from the watcher's last read), one
 * deployment (read from the store now, with its report), its kept reports, and
 * the manual commands — promote, abort, rollback — which are the controller's
 * own calls (the CLI's), behind the token. A refused command changes nothing:
 * it is refused before the controller is called.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { describeUnknown, isPitlaneError } from '../errors.ts';
import type { Deployment, ManualEvent, TransitionEntry } from '../orchestrator/lifecycle/model.ts';
import { PHASES } from '../orchestrator/lifecycle/model.ts';
import type { SavepointRecord } from '../orchestrator/savepoints/record.ts';
import { authorize } from './auth.ts';
import type { StoreWatcher } from './live.ts';
import type { ReportReader } from './reports.ts';
import { deploymentDetail, reportSummary, rowPage, checkViews } from './view-model.ts';

export interface ApiDeps {
  readonly store: { readonly description: string; history(name: string): Promise<TransitionEntry[]>; savepoints(): Promise<SavepointRecord[]> };
  readonly watcher: StoreWatcher;
  readonly reports: ReportReader;
  readonly token: string | undefined;
  /** The controller's dispatch (the same call as `pitlane canary promote|abort|rollback`). */
  readonly dispatch: (name: string, event: ManualEvent) => Promise<Deployment>;
}

const who = z.string().trim().min(1, 'say who you are (by)').max(100);
const bodies = {
  promote: z.object({ by: who, override: z.string().trim().min(1).max(1000).optional() }),
  abort: z.object({ by: who, reason: z.string().trim().min(1, 'an abort needs a reason').max(1000) }),
  rollback: z.object({ by: who, reason: z.string().trim().min(1).max(1000).optional() }),
};
type Action = keyof typeof bodies;

function eventOf(action: Action, body: Record<string, string | undefined>): ManualEvent {
  const by = `${body.by} via dashboard`;
  if (action === 'promote') return { type: 'promote', by, ...(body.override ? { override: { reason: body.override } } : {}) };
  if (action === 'abort') return { type: 'abort', by, reason: body.reason! };
  return { type: 'rollback', by, ...(body.reason ? { reason: body.reason } : {}) };
}

/** An error as the API answers it: what happened, what to do, and a status that says whose fault. */
function sendError(reply: FastifyReply, e: unknown): FastifyReply {
  if (isPitlaneError(e)) {
    const status = /NOT_FOUND$/.test(e.code) ? 404 : e.name === 'PromotionError' ? 409 : e.retriable ? 503 : 500;
    return reply.code(status).send({ code: e.code, message: e.message, hint: e.hint ?? null });
  }
  return reply.code(500).send({ code: 'DASHBOARD_INTERNAL', message: describeUnknown(e), hint: 'See the dashboard\'s log.' });
}

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  // One page of the list, filtered here (phase, part of the name): hundreds of deployments never go to the page whole.
  app.get<{ Querystring: { phase?: string; q?: string; offset?: string; limit?: string } }>('/api/deployments', async (req, reply) => {
    const { phase, q, offset, limit } = req.query;
    if (phase && !(PHASES as readonly string[]).includes(phase)) return reply.code(400).send({ code: 'DASHBOARD_BAD_PHASE', message: `phase ${phase} is not one of ${PHASES.join(', ')}`, hint: 'Leave it out to see every phase.' });
    if (q !== undefined && q.length > 200) return reply.code(400).send({ code: 'DASHBOARD_BAD_FILTER', message: 'the name filter is longer than a deployment name can be (200)', hint: 'Type part of a name.' });
    const snap = deps.watcher.snapshot();
    const page = rowPage(snap.deployments, { phase, name: q, offset: Number(offset ?? 0) || 0, limit: Number(limit ?? 50) || 50 });
    return { store: { description: deps.store.description, up: snap.up, message: snap.message, readAt: snap.readAt, readMs: snap.readMs }, readOnly: !deps.token, ...page };
  });

  app.get<{ Params: { name: string } }>('/api/deployments/:name', async (req, reply) => {
    const { name } = req.params;
    if (!NAME.test(name)) return reply.code(400).send({ code: 'DASHBOARD_BAD_NAME', message: `${JSON.stringify(name)} is not a deployment name`, hint: 'Pick one from the list.' });
    try {
      // The record is the last transition's (the store writes them together): one read of the
      // deployment's history gives both, and the reads run at once — on a Kafka store each is a scan.
      const [history, report, kept] = await Promise.all([deps.store.history(name), deps.reports.latest(name), deps.store.savepoints()]);
      const d = history.at(-1)?.record;
      if (!d) return reply.code(404).send({ code: 'DEPLOYMENT_NOT_FOUND', message: `No deployment named ${name} in ${deps.store.description}.`, hint: 'It may have been removed; go back to the list.' });
      const shown = report.ok ? report.report : { unavailable: report.reason === 'missing' ? `no report in ${deps.reports.dir(name)} (the first is written about a second after shadowing starts, on the machine running the shadow supervisor)` : report.message };
      const detail = deploymentDetail(d, history, shown, kept);
      return { readOnly: !deps.token, ...detail, report: report.ok && report.stale ? { ...detail.report, stale: report.stale } : detail.report };
    } catch (e) {
      return sendError(reply, e);
    }
  });

  app.get<{ Params: { name: string } }>('/api/deployments/:name/reports', async (req, reply) => {
    if (!NAME.test(req.params.name)) return reply.code(400).send({ code: 'DASHBOARD_BAD_NAME', message: 'not a deployment name', hint: 'Pick one from the list.' });
    return { name: req.params.name, reports: await deps.reports.history(req.params.name) };
  });

  app.get<{ Params: { name: string; seq: string } }>('/api/deployments/:name/reports/:seq', async (req, reply) => {
    const { name, seq } = req.params;
    if (!NAME.test(name) || !(seq === 'latest' || /^\d+$/.test(seq))) return reply.code(400).send({ code: 'DASHBOARD_BAD_REPORT', message: `${name}/${seq} names no report`, hint: 'Use a number from the report history, or latest.' });
    const r = seq === 'latest' ? await deps.reports.latest(name) : await deps.reports.kept(name, Number(seq));
    if (!r.ok) return reply.code(r.reason === 'missing' ? 404 : 500).send({ code: r.reason === 'missing' ? 'REPORT_NOT_FOUND' : 'REPORT_UNREADABLE', message: r.message, hint: 'Pick another report from the history.' });
    return { seq, summary: reportSummary(r.report), checks: checkViews(r.report), ...(r.stale ? { stale: r.stale } : {}) };
  });

  for (const action of Object.keys(bodies) as Action[]) {
    app.post<{ Params: { name: string } }>(`/api/deployments/:name/${action}`, async (req, reply) => {
      const auth = authorize(deps.token, req.headers.authorization);
      if (!auth.ok) {
        req.log.warn({ action, deployment: req.params.name, code: auth.code, from: req.ip }, 'dashboard command refused');
        return reply.code(auth.status).header('www-authenticate', 'Bearer realm="pitlane"').send({ code: auth.code, message: auth.message, hint: auth.hint });
      }
      if (!NAME.test(req.params.name)) return reply.code(400).send({ code: 'DASHBOARD_BAD_NAME', message: 'not a deployment name', hint: 'Pick one from the list.' });
      const parsed = bodies[action].safeParse(req.body ?? {});
      if (!parsed.success) {
        return reply.code(400).send({ code: 'DASHBOARD_BAD_REQUEST', message: `${action}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`, hint: 'Send JSON: { "by": "your name", "reason": "why" } (promote: "override" where the verdict is not a pass).' });
      }
      try {
        const d = await deps.dispatch(req.params.name, eventOf(action, parsed.data));
        req.log.info({ action, deployment: d.name, phase: d.phase, by: parsed.data.by, from: req.ip }, 'dashboard command done');
        void deps.watcher.poll().catch(() => undefined);
        return { name: d.name, phase: d.phase, revision: d.revision };
      } catch (e) {
        return sendError(reply, e);
      }
    });
  }
}
