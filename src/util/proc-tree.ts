import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

/**
 * The environment variable every process `setup` starts carries, with a value unique to that process
 * (`<setup pid>-<random>`). Children inherit it through fork and exec, whatever they do with process
 * groups and sessions (`setsid -f`, `nohup … &`, a double fork): so "every descendant of this step" is
 * "every process whose environment holds this tag", found in /proc. Only a child that clears its whole
 * environment on purpose (`env -i`, which `service` does for the daemons it starts) leaves the set.
 */
export const TAG_VAR = 'ENVKIT_PROCESS_TAG';

/** A fresh tag for one process tree. */
export function newTag(): string {
  return `${process.pid}-${randomBytes(8).toString('hex')}`;
}

/**
 * The running processes of a tree: those whose environment holds `TAG_VAR=tag` (Linux: /proc/<pid>/environ),
 * and with `pgid` also the live members of that process group that dropped the tag. Zombies are not counted
 * (they hold nothing; whoever adopted them reaps them, and their environ reads empty). Processes of other
 * users are unreadable to a non-root setup and skipped: it could not signal them either. Without /proc
 * (macOS) only the group is seen.
 */
export function treePids(tag: string, pgid?: number): number[] {
  const needle = Buffer.from(`\0${TAG_VAR}=${tag}\0`);
  const first = needle.subarray(1);
  // Only a group that still answers a signal (live members or zombies) needs a look at /proc/*/stat.
  const groupThere = !!pgid && signal(-pgid, 0);
  let names: readonly (string | number)[];
  try {
    names = candidates(pgid);
  } catch {
    return groupThere ? [-pgid!] : [];
  }
  const out: number[] = [];
  for (const name of names) {
    if (typeof name === 'string' && (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57)) continue;
    try {
      const env = fs.readFileSync(`/proc/${name}/environ`);
      if (env.includes(needle) || env.subarray(0, first.length).equals(first)) out.push(Number(name));
      else if (groupThere) {
        // "pid (comm) S ppid pgrp …"; comm may hold spaces and parentheses, so parse after the last ')'.
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (f[0] !== 'Z' && Number(f[2]) === pgid) out.push(Number(name));
      }
    } catch {
      continue; // gone, or not ours to read
    }
  }
  return out;
}

/**
 * The pids that can belong to `leader` and the processes started after it: Linux hands out pids in increasing order,
 * wrapping at pid_max, and /proc/loadavg names the last one handed out. So only the pids between the two
 * (cyclically) are read, not every process on the machine: a scan after each of a run's hundreds of
 * commands costs a few reads, not hundreds (57 ms a full scan on a loaded machine with 135 processes).
 * A short range is tried pid by pid (a missing one fails at once); a long one filters /proc's listing.
 */
function candidates(leader: number | undefined): readonly (string | number)[] {
  // "0.50 0.40 0.30 2/245 5306": the last field is the last pid handed out (in this pid namespace).
  const last = leader ? Number(fs.readFileSync('/proc/loadavg', 'latin1').trim().split(' ')[4]) : NaN;
  if (!leader || !Number.isInteger(last)) return fs.readdirSync('/proc');
  // The leader itself too: a step that is one process (`sleep 20`, or bash exec'ing its last command) is only it.
  if (last >= leader && last - leader <= 256) return Array.from({ length: last - leader + 1 }, (_, i) => leader + i);
  const after =
    last >= leader
      ? (p: number): boolean => p >= leader && p <= last
      : (p: number): boolean => p >= leader || p <= last;
  return fs.readdirSync('/proc').filter((n) => after(Number(n)));
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops what is left of a process tree: the process group `pgid` and every process tagged `tag` (those
 * that moved to their own group or session). SIGTERM, then SIGKILL for what is still there after
 * `graceMs`. Resolves once nothing of it runs.
 */
export async function stopTree(pgid: number | undefined, tag: string, graceMs: number): Promise<void> {
  let left = treePids(tag, pgid);
  if (!left.length) {
    // A process caught in the middle of an exec reads with an empty environ for a moment (a double fork's
    // last child, say): an empty tree is believed only when a second look a little later agrees.
    await new Promise((r) => setTimeout(r, 25));
    left = treePids(tag, pgid);
    if (!left.length) return;
  }
  // The group as a whole too: a member that cleared its environment is still in it.
  const targets = (): number[] => (pgid ? [-pgid, ...left] : left);
  for (const p of targets()) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 100)) {
    await new Promise((r) => setTimeout(r, wait));
    left = treePids(tag, pgid);
    if (!left.length) return;
  }
  for (const p of targets()) signal(p, 'SIGKILL');
  // SIGKILL cannot be ignored; give the kernel a moment to tear them down.
  for (let i = 0; i < 20 && treePids(tag, pgid).length; i++) await new Promise((r) => setTimeout(r, 25));
}
