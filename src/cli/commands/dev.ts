import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { intFlag, UsageError } from '../usage.ts';
import { devDown, devLogs, devStatus, devUp } from '../../dev/launcher.ts';
import { emit, table } from '../output.ts';
import { stderrProgress } from '../progress.ts';
import type { CliContext } from '../context.ts';
import type { ServiceName } from '../../dev/service-state.ts';
import { probeExternalFlink, requireExternalFlink, type ExternalFlink } from '../../dev/flink-launcher.ts';
import { FLINK_VERSION } from '../../dev/flink-cluster.ts';

type Run = (fn: (ctx: CliContext) => Promise<number | void>) => Promise<void>;

const intOption = (value: string, name: string): number => intFlag(`--${name}`, value, { max: 65535 });

const LOG_SERVICES: readonly string[] = ['kafka', 'registry', 'flink-jobmanager', 'flink-taskmanager'] satisfies ServiceName[];

function externalLine(f: ExternalFlink): string {
  const o = f.overview;
  return `flink: using the existing cluster at ${f.url}` + (o ? ` (Flink ${o.version}, ${o.taskmanagers} TaskManager(s), ${o.slotsTotal} slots)` : '') + '; nothing started.';
}

export function registerDev(program: Command, run: Run): void {
  const dev = program
    .command('dev')
    .description('a local Kafka broker (and schema registry, Flink cluster) for development and tests, on 127.0.0.1');

  dev
    .command('up')
    .description('start the local broker (downloads Kafka jars from Maven Central on first use); reuses a running one')
    .option('--port <port>', 'Kafka listener port', '9092')
    .option('--controller-port <port>', 'KRaft controller port (default: port + 1)')
    .option('--registry', 'also start the Confluent-compatible schema registry')
    .option('--registry-port <port>', 'schema registry port', '8081')
    .option('--flink', `also start a local Apache Flink ${FLINK_VERSION} session cluster (JobManager + TaskManager); with FLINK_REST_URL set, use that cluster instead`)
    .option('--flink-rest-port <port>', 'REST port of the local Flink cluster (default: a free port)')
    .option('--flink-rest <url>', 'use this existing Flink cluster (its REST URL) instead of starting one')
    .option('--timeout <seconds>', 'how long to wait for the broker to answer', '60')
    .option('--json', 'print the result as JSON')
    .action((o: { port: string; controllerPort?: string; registry?: boolean; registryPort: string; flink?: boolean; flinkRestPort?: string; flinkRest?: string; timeout: string; json?: boolean }) =>
      run(async (ctx) => {
        // An existing cluster (flag, or FLINK_REST_URL with --flink) is checked, never started.
        const externalUrl = o.flinkRest ?? (o.flink ? process.env.FLINK_REST_URL || undefined : undefined);
        const external = externalUrl ? await requireExternalFlink(externalUrl) : undefined;
        const progress = stderrProgress();
        const started = await devUp({
          devDir: ctx.devDir,
          port: intOption(o.port, 'port'),
          ...(o.controllerPort ? { controllerPort: intOption(o.controllerPort, 'controller-port') } : {}),
          registry: o.registry === true,
          registryPort: intOption(o.registryPort, 'registry-port'),
          flink: o.flink === true && !external,
          ...(o.flinkRestPort ? { flinkRestPort: intOption(o.flinkRestPort, 'flink-rest-port') } : {}),
          readyTimeoutMs: intOption(o.timeout, 'timeout') * 1000,
          logger: ctx.logger,
          progress: (step) => progress.step(step),
        }).finally(() => progress.done());
        emit({ devDir: ctx.devDir, services: started, ...(external ? { flink: { external: true, ...external } } : {}) }, o, () =>
          [...(external ? [externalLine(external)] : []), ...started]
            .map((s) =>
              typeof s === 'string'
                ? s
                : s.alreadyRunning
                ? `${s.service} is already running at ${s.url} (pid ${s.pid}); nothing started.`
                : `${s.service} ready at ${s.url} (pid ${s.pid}) in ${(s.readyMs / 1000).toFixed(1)} s` +
                  (s.downloaded ? `, after resolving its jars from Maven Central in ${(s.resolveMs / 1000).toFixed(1)} s` : ', jars from cache') +
                  `\n  log: ${s.logFile}`,
            )
            .join('\n') + `\nStop with: pitlane dev down`,
        );
      }),
    );

  dev
    .command('down')
    .description('stop the processes `dev up` started (by their recorded pids) and nothing else')
    .option('--purge', 'also delete the data directory (topics, logs)')
    .option('--json', 'print the result as JSON')
    .action((o: { purge?: boolean; json?: boolean }) =>
      run(async (ctx) => {
        const stopped = await devDown(ctx.devDir, { purge: o.purge === true });
        emit({ devDir: ctx.devDir, services: stopped }, o, () =>
          stopped.map((s) => (s.result === 'not-running' ? `${s.service}: not running` : `${s.service}: ${s.result} (pid ${s.pid})`)).join('\n'),
        );
      }),
    );

  dev
    .command('status')
    .description('what runs where')
    .option('--flink-rest <url>', 'also show this existing Flink cluster (default: FLINK_REST_URL)')
    .option('--json', 'print the result as JSON')
    .action((o: { flinkRest?: string; json?: boolean }) =>
      run(async (ctx) => {
        const status = devStatus(ctx.devDir);
        const externalUrl = o.flinkRest ?? (process.env.FLINK_REST_URL || undefined);
        const external = externalUrl ? await probeExternalFlink(externalUrl) : undefined;
        emit({ devDir: ctx.devDir, services: status, ...(external ? { flink: { external: true, ...external } } : {}) }, o, () =>
          table([
            ['SERVICE', 'STATE', 'PID', 'ADDRESS', 'UPTIME', 'LOG'],
            ...status.map((s) => [s.service, s.state, s.pid ? String(s.pid) : '-', s.url ?? '-', s.uptimeSeconds !== undefined ? `${s.uptimeSeconds}s` : '-', s.logFile ?? '-']),
            ...(external ? [['flink (external)', external.reachable ? 'reachable' : 'unreachable', '-', external.url, '-', '-']] : []),
          ]),
        );
      }),
    );

  dev
    .command('logs')
    .description('the last lines of a service log')
    .argument('[service]', 'kafka, registry, flink-jobmanager or flink-taskmanager', 'kafka')
    .option('-n, --lines <n>', 'how many lines', '50')
    .action((service: string, o: { lines: string }) =>
      run(async (ctx) => {
        if (!LOG_SERVICES.includes(service)) throw new UsageError('CLI_BAD_SERVICE', `Unknown service "${service}"; use ${LOG_SERVICES.join(', ')}.`);
        const lines = intFlag('--lines', o.lines);
        process.stdout.write(`${devLogs(ctx.devDir, service as ServiceName, lines).join('\n')}\n`);
      }),
    );

  dev
    .command('smoke')
    .description('produce records to a fresh topic, read them back from explicit offsets, and delete the topic')
    .option('--records <n>', 'how many records', '1000')
    .option('--partitions <n>', 'partitions of the smoke topic', '3')
    .option('--json', 'print the result as JSON')
    .action((o: { records: string; partitions: string; json?: boolean }) =>
      run(async (ctx) => {
        const n = intFlag('--records', o.records);
        const partitions = intFlag('--partitions', o.partitions);
        const { kafka } = ctx.kafka();
        const topic = `pitlane-smoke-${randomUUID().slice(0, 8)}`;
        await kafka.createTopics([{ topic, partitions }]);
        try {
          const t0 = performance.now();
          const records = Array.from({ length: n }, (_, i) => ({ key: `k${i % 97}`, value: JSON.stringify({ i }) }));
          const written = await kafka.produce(topic, records);
          const t1 = performance.now();
          const seen = new Set<number>();
          for await (const batch of kafka.read({ topics: [topic], from: 'earliest', to: 'end' })) {
            for (const r of batch.records) seen.add((JSON.parse(r.value!.toString()) as { i: number }).i);
          }
          const t2 = performance.now();
          const ok = seen.size === n && written.length === n;
          const result = { topic, produced: written.length, readBack: seen.size, ok, produceMs: Math.round(t1 - t0), readMs: Math.round(t2 - t1), brokers: ctx.connection().brokers };
          emit(result, o, () => `${ok ? 'ok' : 'MISMATCH'}: produced ${written.length} records to ${topic} in ${result.produceMs} ms, read ${seen.size} back in ${result.readMs} ms (brokers ${result.brokers.join(',')})`);
          return ok ? 0 : 3;
        } finally {
          await kafka.deleteTopics([topic]);
        }
      }),
    );
}
