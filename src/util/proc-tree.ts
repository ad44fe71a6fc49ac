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
 * The pids whose environment holds `TAG_VAR=tag` (Linux: /proc/<pid>/environ). Processes of other users are
 * unreadable to a non-root setup and skipped: it could not signal them either. Without /proc (macOS) it
 * finds nothing and the process group is all that is stopped.
 */
export function taggedPids(tag: string): number[] {
  const needle = Buffer.from(`\0${TAG_VAR}=${tag}\0`);
  const first = needle.subarray(1);
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let env: Buffer;
    try {
      env = fs.readFileSync(`/proc/${name}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (env.includes(needle) || env.subarray(0, first.length).equals(first)) out.push(Number(name));
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

/** Whether anything of the tree is left: a member of the group, or a tagged process. */
function alive(pgid: number | undefined, tag: string): number[] {
  const left = taggedPids(tag);
  if (pgid && signal(-pgid, 0)) left.push(-pgid);
  return left;
}

/**
 * Stops what is left of a process tree: the process group `pgid` and every process tagged `tag` (those
 * that moved to their own group or session). SIGTERM, then SIGKILL for what is still there after
 * `graceMs`. Resolves once nothing is left (a zombie reaped by nobody is not "left": it holds no pipe).
 */
export async function stopTree(pgid: number | undefined, tag: string, graceMs: number): Promise<void> {
  let left = alive(pgid, tag);
  if (!left.length) return;
  for (const p of left) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 100)) {
    await new Promise((r) => setTimeout(r, wait));
    left = alive(pgid, tag).filter((p) => p < 0 || !isZombie(p));
    if (!left.length) return;
  }
  for (const p of left) signal(p, 'SIGKILL');
  // SIGKILL cannot be ignored; give the kernel a moment to tear them down.
  for (let i = 0; i < 20 && alive(pgid, tag).some((p) => p < 0 || !isZombie(p)); i++) await new Promise((r) => setTimeout(r, 25));
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z';
  } catch {
    return true; // gone
  }
}
