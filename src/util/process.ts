
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
