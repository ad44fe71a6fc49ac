import type { Output } from './output.js';

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
