/**
 * The broker a benchmark runs against: KAFKA_BROKERS when set, else the test
 * infrastructure's own local broker, started for the run and stopped after it.
 */
export async function withBroker<T>(fn: (brokers: string) => Promise<T>, options: { registry?: boolean } = {}): Promise<T> {
  if (process.env.KAFKA_BROKERS) return fn(process.env.KAFKA_BROKERS);
  if (options.registry === false) process.env.PITLANE_TEST_REGISTRY = '0';
  const { startInfra } = await import('../test/support/infra.ts');
  const infra = await startInfra();
  try {
    return await fn(infra.brokers);
  } finally {
    await infra.stop();
  }
}
