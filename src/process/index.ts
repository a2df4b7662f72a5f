/**
 * Operating-system processes and ports: a low module (design.md §2) that any layer
 * may import — the launcher, the embedded engine's job supervision, the job control
 * channel, the orchestrator's shadow supervisor, tests and benchmarks. It knows
 * nothing of pitlane's jobs or deployments.
 */
export { isAlive, isZombie, procStat, commandLine, isOurProcess, stopPid } from './pid.ts';
export { isPortFree, ephemeralPortRange, freePort, kernelFreePort } from './ports.ts';
export { tailFile } from './tail-file.ts';
export { probeTool } from './probe-tool.ts';
