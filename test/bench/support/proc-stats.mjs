// CPU time and resident memory of groups of processes, read from /proc (Linux).
// A group is a set of root pids, optionally with their descendants, optionally filtered by command
// name (e.g. the `postgres` children of the process that started PostgreSQL). CPU of a group is
// utime + stime of its live members, plus (withReaped) cutime + cstime: the time of children that
// already exited and were waited for, e.g. PostgreSQL backends whose connection closed. RSS is the
// sum over the members, sampled; its peak over the measured window is reported. For a group of many
// processes (proportional: PostgreSQL, whose backends all map the shared buffers and the same
// binary) the sum is of PSS (/proc/<pid>/smaps_rollup), each shared page divided among the
// processes that map it, so the group's memory is counted once. Sampling costs the machine the bench
// measures: reading smaps_rollup walks a process's page tables (about 0.2% of a core per PostgreSQL
// process read four times a second), so PSS is read less often than the rest.
import { execFileSync } from 'node:child_process';
import { clearInterval, setInterval } from 'node:timers';
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const PAGE_SIZE = Number(execFileSync('getconf', ['PAGESIZE']).toString().trim()) || 4096;

function readProc(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
    return {
      pid,
      comm,
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      reapedTicks: Number(fields[13]) + Number(fields[14]),
      rssBytes: Number(fields[21]) * PAGE_SIZE,
    };
  } catch {
    return null; // exited meanwhile
  }
}

function readAll() {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const proc = readProc(Number(entry));
    if (proc) byPid.set(proc.pid, proc);
  }
  const children = new Map();
  for (const proc of byPid.values()) {
    if (!children.has(proc.ppid)) children.set(proc.ppid, []);
    children.get(proc.ppid).push(proc);
  }
  return { byPid, children };
}

/** Proportional set size of one process: its private pages, and its share of every shared one. */
function proportionalOf(proc) {
  try {
    const rollup = readFileSync(`/proc/${proc.pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0; // exited meanwhile
  }
}

function members(snapshot, group) {
  const found = [];
  const visit = (proc, isRoot) => {
    if (!group.filter || group.filter(proc, isRoot)) found.push(proc);
    if (group.descendants) for (const child of snapshot.children.get(proc.pid) ?? []) visit(child, false);
  };
  for (const pid of group.pids) {
    const proc = snapshot.byPid.get(pid);
    if (proc) visit(proc, true);
  }
  return found;
}

/**
 * Samples `groups` ([{ name, pids, descendants?, filter?, withReaped?, proportional? }]) every
 * `intervalMs` between start() and stop(), the PSS of proportional groups every `proportionalEveryMs`
 * only; stop() answers [{ name, cpuSeconds, peakRssBytes, processes }]. CPU time is cumulative, so
 * the interval bounds only how soon a peak of memory is seen.
 */
export function processSampler(groups, { intervalMs = 500, proportionalEveryMs = 2000 } = {}) {
  const state = groups.map((group) => ({ group, startTicks: 0, lastTicks: 0, peakRss: 0, maxProcesses: 0 }));
  let timer;
  let proportionalReadAt = -Infinity;
  const sample = ({ withProportional = false } = {}) => {
    const snapshot = readAll();
    const now = performance.now();
    const readProportional = withProportional || now - proportionalReadAt >= proportionalEveryMs;
    if (readProportional) proportionalReadAt = now;
    for (const entry of state) {
      const found = members(snapshot, entry.group);
      entry.lastTicks = found.reduce((sum, p) => sum + p.ticks + (entry.group.withReaped ? p.reapedTicks : 0), 0);
      entry.maxProcesses = Math.max(entry.maxProcesses, found.length);
      if (entry.group.proportional && !readProportional) continue;
      const resident = entry.group.proportional
        ? found.reduce((sum, p) => sum + proportionalOf(p), 0)
        : found.reduce((sum, p) => sum + p.rssBytes, 0);
      entry.peakRss = Math.max(entry.peakRss, resident);
    }
  };
  return {
    start() {
      sample({ withProportional: true });
      for (const entry of state) {
        entry.startTicks = entry.lastTicks;
        entry.peakRss = 0;
        entry.maxProcesses = 0;
      }
      sample({ withProportional: true });
      timer = setInterval(sample, intervalMs);
    },
    stop() {
      clearInterval(timer);
      sample({ withProportional: true });
      return state.map((entry) => ({
        name: entry.group.name,
        cpuSeconds: (entry.lastTicks - entry.startTicks) / CLK_TCK,
        peakRssBytes: entry.peakRss,
        processes: entry.maxProcesses,
      }));
    },
  };
}
