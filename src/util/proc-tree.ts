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
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return groupThere ? [-pgid!] : [];
  }
  const out: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
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
  if (!left.length) return;
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
