/**
 * CPU time and memory of a process under test, read from /proc (Linux): what the process itself
 * spent, whatever the load generator or the upstream did on other cores. Elsewhere every reading
 * is undefined and the report leaves those columns empty.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** User plus system CPU time of `pid` so far, in microseconds (10 ms resolution at 100 ticks/s). */
export function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
    // are fields 14 and 15 of proc(5), so 12th and 13th after the ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
  } catch {
    return undefined;
  }
}

/** Resident memory of `pid` now (`VmRSS`), or its peak since it started (`VmHWM`), in MB. */
export function residentMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The child processes of `pid` (the workers of a cluster primary). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Samples the resident memory of `pids()` every 100 ms until stopped; the highest of each pid. */
export function sampleResident(pids: () => number[]): { stop(): Map<number, number> } {
  const highest = new Map<number, number>();
  const sample = () => {
    for (const pid of pids()) {
      const mb = residentMb(pid);
      if (mb !== undefined) highest.set(pid, Math.max(highest.get(pid) ?? 0, mb));
    }
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return highest;
    },
  };
}

/** What the process under test spent over a load's measured part. */
export interface ProcessCost {
  /** CPU time per request answered, in microseconds. */
  cpuMicrosPerRequest?: number;
  /** Highest resident memory, in MB. */
  peakRssMb?: number;
}

/**
 * Runs a load (`run`, which calls `onMeasuring` when its measured part starts) and reads what
 * `pid` spent from then to the load's end: nothing when there is no process under test (direct).
 */
export async function measureLoad<Result extends { requests: number }>(pid: number | undefined, run: (onMeasuring: () => void) => Promise<Result>): Promise<Result & ProcessCost> {
  let cpuBefore: number | undefined;
  let sampler: ReturnType<typeof sampleResident> | undefined;
  const result = await run(() => {
    if (pid === undefined) return;
    cpuBefore = cpuMicros(pid);
    sampler = sampleResident(() => [pid]);
  });
  if (pid === undefined) return result;
  const cpuAfter = cpuMicros(pid);
  const peak = sampler?.stop().get(pid);
  return {
    ...result,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && result.requests > 0 ? { cpuMicrosPerRequest: (cpuAfter - cpuBefore) / result.requests } : {}),
    ...(peak !== undefined ? { peakRssMb: peak } : {}),
  };
}
