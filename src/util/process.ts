import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { argvHoldsSecret } from './redact.js';
import { newTag, stopTree, TAG_VAR } from './proc-tree.js';

/** What to run: an argv (no shell involved) plus where, with what environment, and for how long. */
export interface RunRequest {
  argv: readonly string[];
  cwd?: string;
  /** Added to (and overriding) the inherited environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
  /** Called with every chunk of stdout/stderr as it arrives (interleaved). */
  onOutput?: (chunk: string) => void;
  /** Keep stdout/stderr in memory for the result (default true; apply turns it off for long builds). */
  capture?: boolean;
  signal?: AbortSignal;
}

/** How a process ended. `spawnError` is set when it never started (e.g. program not found). */
export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  stdout: string;
  stderr: string;
  spawnError?: string;
  durationMs: number;
}

/** Runs processes; injected everywhere so the pure parts can be tested with a recorded one. */
export interface Runner {
  run(req: RunRequest): Promise<RunResult>;
}

const KILL_GRACE_MS = 3000;

/**
 * The watchdog of `guardProcessGroups`: it reads "+PGID:TAG" / "-PGID:TAG" lines from a pipe whose only
 * writer is this process. At end of file — this process has exited, however it died — it stops the trees
 * still listed (each process group, and the processes tagged TAG that left it): SIGTERM, then SIGKILL for
 * what is left after the same grace as a timeout. Normally none are listed and it just exits.
 */
const WATCHDOG = `live=' '
while IFS= read -r l; do
  case $l in
    +*) live+="\${l#+} " ;;
    -*) live=\${live/ \${l#-} / } ;;
  esac
done
[ "$live" = ' ' ] && exit 0
members() {
  for e in $live; do
    kill -0 -- "-\${e%%:*}" 2>/dev/null && echo "-\${e%%:*}"
    for f in $(grep -lsFxz -e "${TAG_VAR}=\${e#*:}" /proc/[0-9]*/environ); do f=\${f#/proc/}; echo "\${f%/environ}"; done
  done
}
for p in $(members); do kill -TERM -- "$p" 2>/dev/null; done
for ((i = 0; i < ${KILL_GRACE_MS / 100}; i++)); do
  left=$(members)
  [ -z "$left" ] && exit 0
  sleep 0.1
done
for p in $left; do kill -KILL -- "$p" 2>/dev/null; done`;

let guard: { add(pgid: number, tag: string): void; remove(pgid: number, tag: string): void } | undefined;

/**
 * From now on, the process groups this process starts are stopped even if it dies without stopping them
 * itself (SIGKILL, a crash, an OOM kill): a small detached watchdog holds the list and acts when this
 * process is gone. Ctrl-C, SIGTERM and timeouts stop them directly, as before. `setup run` calls it.
 */
export function guardProcessGroups(): void {
  if (guard) return;
  // Its own session (Ctrl-C in the terminal is for setup, which stops the steps itself), and none of the
  // user's environment: it needs only PATH.
  const dog = spawn('bash', ['-c', WATCHDOG], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const pipe = dog.stdin!;
  // Neither the watchdog nor its pipe keeps this process alive; a write error means it is gone already.
  dog.unref();
  (pipe as unknown as { unref?: () => void }).unref?.();
  pipe.on('error', () => undefined);
  dog.on('error', () => undefined);
  guard = {
    add: (pgid, tag) => void pipe.write(`+${pgid}:${tag}\n`),
    remove: (pgid, tag) => void pipe.write(`-${pgid}:${tag}\n`),
  };
}

/** Captured output beyond this is dropped (as execa's maxBuffer): an endless writer cannot exhaust memory. */
const MAX_CAPTURE = 64 << 20;

/** After the main process exits, how long its pipes may still deliver what was written before they are closed. */
const DRAIN_MS = 200;

/**
 * The real runner. Each process runs in its own process group and carries a tag in its environment
 * (`proc-tree.ts`). It ends when its main process exits — not when its pipes close, which a background
 * child (`(sleep 40 &)`, `setsid -f …`) may hold open for ever — and then what is left of its tree (the
 * group, and the tagged processes that left the group) is stopped. A timeout or Ctrl-C stops the whole tree
 * the same way. Node's spawn, not execa: execa's result waits for the pipes' end.
 */
export const processRunner: Runner = {
  async run(req) {
    const started = performance.now();
    const capture = req.capture ?? true;
    const [file, ...args] = req.argv;
    if (!file) throw new Error('empty argv');
    // Every process's argv is readable by every user (`ps`): a secret there would be public for its whole life.
    if (argvHoldsSecret(req.argv)) {
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        aborted: false,
        stdout: '',
        stderr: '',
        durationMs: 0,
        spawnError: `${file}: not started: a secret would be in its arguments, which every user can read in \`ps\` (pass it through \`env:\`, or use it in a shell string, where values reach the command as environment variables)`,
      };
    }
    const tag = newTag();
    const child = spawn(file, args, {
      cwd: req.cwd,
      env: { ...process.env, ...req.env, [TAG_VAR]: tag },
      stdio: [req.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });
    const pid = child.pid;
    if (pid) guard?.add(pid, tag);
    const out = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name]!;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        req.onOutput?.(chunk);
        if (capture && out[name].length < MAX_CAPTURE) out[name] += chunk;
      });
      stream.on('error', () => undefined);
    }
    if (req.input !== undefined) {
      child.stdin!.on('error', () => undefined); // EPIPE: the program did not read it all
      child.stdin!.end(req.input);
    }
    let timedOut = false;
    let aborted = false;
    const stopping: Promise<void>[] = [];
    const stop = (): void => void stopping.push(stopTree(pid, tag, KILL_GRACE_MS));
    const timer = req.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, req.timeoutMs)
      : undefined;
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const ended = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      error?: NodeJS.ErrnoException;
    }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    });
    if (timer) clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    // The main process is gone: whatever it left behind goes too, then its pipes get a moment to drain.
    await Promise.all([...stopping, stopTree(pid, tag, KILL_GRACE_MS)]);
    await drained(child, DRAIN_MS);
    if (pid) guard?.remove(pid, tag);
    const neverStarted = !pid && !!ended.error;
    return {
      exitCode: ended.code,
      signal: ended.signal,
      timedOut,
      aborted,
      stdout: out.stdout,
      stderr: out.stderr,
      spawnError: neverStarted ? spawnMessage(file, ended.error!.code ?? ended.error!.message) : undefined,
      durationMs: performance.now() - started,
    };
  },
};

/** Waits (at most `ms`) for the child's pipes to close, then closes them: a process outside the tree may hold them. */
async function drained(child: ChildProcess, ms: number): Promise<void> {
  const open = [child.stdout, child.stderr].filter((s): s is Readable => !!s && !s.destroyed && !s.readableEnded);
  if (open.length) {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(open.map((s) => new Promise((r) => s.once('close', r)))),
      new Promise((r) => (t = setTimeout(r, ms))),
    ]);
    clearTimeout(t);
  }
  for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
}

function spawnMessage(file: string, code: string): string {
  switch (code) {
    case 'ENOENT':
      return `${file}: command not found`;
    case 'EACCES':
      return `${file}: permission denied`;
    default:
      return `${file}: cannot start (${code})`;
  }
}
