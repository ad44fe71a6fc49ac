import type { Output } from './output.js';
import { clipLine, sanitize } from '../util/terminal.js';

/** Shows a spinner on stderr while `work` runs — only on a TTY, never with --json/--quiet (CI logs stay clean). */
export async function withSpinner<T>(o: Output, text: string, work: Promise<T>): Promise<T> {
  if (!o.tty || !process.stderr.isTTY || o.json || o.quiet) return work;
  // Only show it when the work is slow enough to notice; a fast no-op plan stays instant.
  let spinner: { stop(): void } | undefined;
  let done = false;
  const timer = setTimeout(() => {
    void import('ora').then(({ default: ora }) => {
      if (!done) spinner = ora({ text, stream: process.stderr, color: 'cyan' }).start();
    });
  }, 150);
  try {
    return await work;
  } finally {
    done = true;
    clearTimeout(timer);
    spinner?.stop();
  }
}

/** A line of progress that changes in place (on a TTY: a spinner), and lines printed above it. */
export interface LiveLine {
  update(text: string): void;
  /** A finished line: above the spinner on a TTY, plain on stderr otherwise. */
  print(text: string): void;
  stop(): void;
}

/** Progress of many concurrent items (`setup bundle`): a spinner with the latest text on a TTY, else done lines only. */
export function liveLine(o: Output): LiveLine {
  // A terminal of no width (some `script` sessions) would make ora count endless lines to clear: plain lines there.
  const live = o.tty && process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && !o.json && !o.quiet;
  let spinner: { text: string; stop(): void; start(): unknown; clear(): unknown; render(): unknown } | undefined;
  let text = '';
  let stopped = false;
  if (live)
    void import('ora').then(({ default: ora }) => {
      if (!stopped) spinner = ora({ text, stream: process.stderr, color: 'cyan' }).start();
    });
  return {
    update(t) {
      text = sanitize(t);
      if (spinner) spinner.text = clipLine(text, (process.stderr.columns || 80) - 4);
    },
    print(line) {
      spinner?.clear();
      o.err(line);
      spinner?.render();
    },
    stop() {
      stopped = true;
      spinner?.stop();
    },
  };
}
