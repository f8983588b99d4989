/**
 * CPU time of whole processes, every thread and the kernel work done on their behalf, read from
 * Linux's scheduler statistics (`/proc/<pid>/task/<tid>/schedstat`: nanoseconds on a CPU). Unlike
 * `process.cpuUsage()` inside a process, it counts a process from outside, so a bench can total what
 * a set of processes — Node workers, redis-server, an API server — used between two instants.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Nanoseconds the process has spent on a CPU, all its threads together (0 once it is gone). */
function processCpuNs(pid: number): number {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let total = 0;
  for (const task of tasks) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total;
}

export function totalCpuNs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += processCpuNs(pid);
  return total;
}

/**
 * The processes whose command line (a kernel thread's name, for those) contains every fragment: e.g.
 * `redis-server` and `:6379`, or `ksoftirqd` — the kernel's softirq threads, which take over network
 * work when the loopback is busy.
 */
export function processIdsMatching(...fragments: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const name = commandLine === '' ? readFileSync(`/proc/${entry}/comm`, 'utf8').trim() : commandLine;
      if (fragments.every((fragment) => name.includes(fragment))) found.push(Number(entry));
    } catch {
      // a process that ended while we looked
    }
  }
  return found;
}
