import { spawn } from 'node:child_process';

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
 * The watchdog of `guardProcessGroups`: it reads "+PGID" / "-PGID" lines from a pipe whose only writer is
 * this process. At end of file — this process has exited, however it died — it stops the groups still
 * listed: SIGTERM, then SIGKILL for what is left after the same grace as a timeout. Normally none are
 * listed and it just exits.
 */
const WATCHDOG = `live=' '
while IFS= read -r l; do
  case $l in
    +*) live+="\${l#+} " ;;
    -*) live=\${live/ \${l#-} / } ;;
  esac
done
[ "$live" = ' ' ] && exit 0
for g in $live; do kill -TERM -- "-$g" 2>/dev/null; done
for ((i = 0; i < ${KILL_GRACE_MS / 100}; i++)); do
  left=''
  for g in $live; do kill -0 -- "-$g" 2>/dev/null && left+="$g "; done
  [ -z "$left" ] && exit 0
  sleep 0.1
done
for g in $left; do kill -KILL -- "-$g" 2>/dev/null; done`;

let guard: { add(pgid: number): void; remove(pgid: number): void } | undefined;

/**
 * From now on, the process groups this process starts are stopped even if it dies without stopping them
 * itself (SIGKILL, a crash, an OOM kill): a small detached watchdog holds the list and acts when this
 * process is gone. Ctrl-C, SIGTERM and timeouts stop them directly, as before. `setup run` calls it.
 */
export function guardProcessGroups(): void {
  if (guard) return;
  // Its own session (Ctrl-C in the terminal is for setup, which stops the steps itself), and none of the
  // user's environment: it needs only PATH.
  const dog = spawn('bash', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const pipe = dog.stdin!;
  // Neither the watchdog nor its pipe keeps this process alive; a write error means it is gone already.
  dog.unref();
  (pipe as unknown as { unref?: () => void }).unref?.();
  pipe.on('error', () => undefined);
  dog.on('error', () => undefined);
  guard = {
    add: (pgid) => void pipe.write(`+${pgid}\n`),
    remove: (pgid) => void pipe.write(`-${pgid}\n`),
  };
}

/** The real runner: each process in its own process group, so a timeout or Ctrl-C stops all its children. */
export const processRunner: Runner = {
  async run(req) {
    const started = performance.now();
    const capture = req.capture ?? true;
    const [file, ...args] = req.argv;
    if (!file) throw new Error('empty argv');
    // Loaded on the first spawn: a plan whose checks are all in-process never pays for it.
    const { execa } = await import('execa');
    const sub = execa(file, args, {
      cwd: req.cwd,
      env: req.env,
      extendEnv: true,
      reject: false,
      input: req.input,
      stdin: req.input === undefined ? 'ignore' : 'pipe',
      buffer: capture,
      stripFinalNewline: false,
      detached: true,
      encoding: 'utf8',
      windowsHide: true,
    });
    if (sub.pid) guard?.add(sub.pid);
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (): void => {
      signalGroup(sub.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(sub.pid, 'SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = req.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup();
        }, req.timeoutMs)
      : undefined;
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.onOutput) {
      sub.stdout?.setEncoding('utf8').on('data', req.onOutput);
      sub.stderr?.setEncoding('utf8').on('data', req.onOutput);
    } else if (!capture) {
      sub.stdout?.resume();
      sub.stderr?.resume();
    }
    const r = await sub;
    if (timer) clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);
    // The group may still hold children that outlived the leader (e.g. `cmd &`); stop them too.
    if (timedOut || aborted) signalGroup(sub.pid, 'SIGKILL');
    if (killTimer) clearTimeout(killTimer);
    if (sub.pid) guard?.remove(sub.pid);
    const errCode = (r as { code?: string }).code;
    const neverStarted = r.exitCode === undefined && r.signal === undefined && !!errCode;
    return {
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      timedOut,
      aborted,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : '',
      spawnError: neverStarted ? spawnMessage(file, errCode!) : undefined,
      durationMs: performance.now() - started,
    };
  },
};

function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
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
