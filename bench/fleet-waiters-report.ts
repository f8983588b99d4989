/** Renders "One refresh, P processes waiting" of docs/benchmarks.md from the fleet-waiters runs. */
import type { FleetWaiterRun } from './fleet-waiters';
import { verdict } from './shared';

export const WAITER_GOALS = { commandsOverP: 5, wakeMedianMs: 5, wakeMedianAtP: 8, overLimitAtLargest: 1.5 };
const percent = (share: number): string => `${Math.round(share * 100)} %`;

export function fleetWaitersSection(waiting: readonly FleetWaiterRun[], options: { rounds: number; cores: number }): string[] {
  const atP = (p: number): FleetWaiterRun[] => waiting.filter((w) => w.processes === p);
  const largest = Math.max(...waiting.map((w) => w.processes));
  const ms = (value: number): string => `${value.toFixed(2)} ms`;
  const goalMedianAtP = atP(WAITER_GOALS.wakeMedianAtP);
  return [
    '### One refresh, P processes waiting',
    '',
    `One holder refreshes a rejected token (100 ms at the provider) while P other **processes** — each its own Node process with its own plugin, store and Redis connections — are rejected too and wait; for ioredis and for node-redis. Commands sent by all of them for that one refresh (counted in each process, client side), and each waiter's wake-up from the moment the provider's answer reached the holder (so the holder's write, the notice and the waiter's resumption are in it) to the waiter's own \`replay\`; ${options.rounds} rounds, medians.`,
    '',
    `**Limit**, computed in the same run from the CPU the wake-ups took. Every waiter is woken at the same instant; a woken waiter runs until it blocks again, with its replay sent, and that whole wake-up costs the machine m ms of CPU: counted from outside the processes (Linux scheduler statistics: every thread of every waiter, the kernel's work for them, redis-server sending the notices, the softirq threads), from the provider's answer until the last replay reached the API, per waiter. The API holds its answers until every replay is in, so their handling is not in it (as with a remote API, whose answers come tens of milliseconds later). If the ${options.cores} cores served the wake-ups one after another, the median waiter would wait for half of the other P − 1: limit = (P = 1 median) + (P − 1) / 2 × m / cores. The scheduler interleaves woken processes, so the median can come in a little under it; a plugin that woke its waiters one at a time, or late, would be far above it. The plugin's own part of m (CPU in the waiter from parked to its \`replay\`, as the process itself counts it) is the next column: the rest is the cost of waking a Node process on this machine, axios's request pipeline and Node's HTTP client sending the replay, and V8's background threads.`,
    '',
    '| client | P | commands per refresh | goal P + 5 | mix (last round) | wake-up median | p90 | CPU per wake-up (m) | of it, in the plugin | limit | median ÷ limit | refreshes |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...waiting.map(
      (w) =>
        `| ${w.client} | ${w.processes} | **${w.commandsPerRefresh}** | ${w.processes + WAITER_GOALS.commandsOverP} | ${w.commandMix} | **${ms(w.wakeMedianMs)}** | ${ms(w.wakeP90Ms)} | ${ms(w.wakeCpuMs)} | ${ms(w.pluginCpuMs)} | ${ms(w.limitMs)} | **${(w.wakeMedianMs / w.limitMs).toFixed(2)}** | ${w.refreshes} |`,
    ),
    '',
    `![commands per refresh](benchmarks/scale-waiters.svg)`,
    '',
    `![wake-up latency](benchmarks/scale-wakeup.svg)`,
    '',
    `Goals: commands ≤ P + 5 at every P — ${verdict(waiting.every((w) => w.commandsPerRefresh <= w.processes + WAITER_GOALS.commandsOverP))}; wake-up median ≤ ${WAITER_GOALS.wakeMedianMs} ms at P = ${WAITER_GOALS.wakeMedianAtP} — ${verdict(goalMedianAtP.length > 0 && goalMedianAtP.every((w) => w.wakeMedianMs <= WAITER_GOALS.wakeMedianMs))}; median within ${WAITER_GOALS.overLimitAtLargest}× the limit at P = ${largest} — ${verdict(atP(largest).every((w) => w.wakeMedianMs <= w.limitMs * WAITER_GOALS.overLimitAtLargest))}${largest < 64 ? ' (quick mode: P = 64 not measured)' : ''}; one refresh per round — ${verdict(waiting.every((w) => w.refreshes === 1))}.`,
    '',
    'Where the commands go: a waiter sends one — `getOrLock` (a script: read the token and, only if nothing newer than the rejected version is stored, take the free lock), which finds the lock held; then it sleeps until the change notice, which carries the new token (encrypted too, with `encryptionKey`), so it replays without reading again. The holder sends five: `getOrLock` (which takes the lock), the failure-record check (`GET`), the fenced write (a script that also publishes the notice), the failure-record clear (`DEL`) and the lock release (a script). Scripts go by `EVALSHA` (the script text crosses the wire only when the server does not know it). No polling storm: with change notices the poll fallback starts at 250 ms, longer than this refresh, and a lost notice still ends in that poll. ' +
      'Before this release a waiter sent three (read, lock attempt, read after the notice): 3P + 6 commands, 199 at P = 64.',
    '',
    `Where the time goes at P = ${largest}: ${atP(largest)
      .map(
        (w) =>
          `${w.client} wakes ${w.processes} processes in a median ${ms(w.wakeMedianMs)}, ${(w.wakeMedianMs / w.limitMs).toFixed(2)}× the limit, and the plugin's part is ${percent(w.pluginCpuMs / w.wakeCpuMs)} of each wake-up (with only that part to run, the limit would be ${ms(w.pluginLimitMs)})`,
      )
      .join(
        '; ',
      )}. The ${options.cores} cores are the bottleneck; the rest of a wake-up — waking the process, axios's request pipeline, Node's HTTP client, V8's background threads — is outside the plugin.`,
  ];
}
