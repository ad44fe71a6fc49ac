import fs from 'node:fs';
import path from 'node:path';

/** The per-run log: every step's header, command and output, appended as it comes. */
export class RunLog {
  private readonly fd: number;

  private constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
  }

  /** Opens `logs/<timestamp>-<what>.log` and points `logs/latest.log` at it. */
  static open(dir: string, what: string, now = new Date()): RunLog {
    fs.mkdirSync(dir, { recursive: true });
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const safe = what.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || 'run';
    const log = new RunLog(path.join(dir, `${stamp}-${safe}-${process.pid}.log`));
    const latest = path.join(dir, 'latest.log');
    try {
      fs.rmSync(latest, { force: true });
      fs.symlinkSync(path.basename(log.file), latest);
    } catch {
      /* a convenience only */
    }
    return log;
  }

  /** Appends text as it is (output chunks). Synchronous: constant cost per chunk, nothing buffered in memory. */
  write(text: string): void {
    fs.writeSync(this.fd, text);
  }

  /** Appends one line. */
  line(text: string): void {
    this.write(text.endsWith('\n') ? text : text + '\n');
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

/** Keeps the last `max` lines of a stream of chunks, for failure reports. */
export class LineTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly max = 20) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const l of parts) this.lines.push(l);
    if (this.lines.length > this.max * 2) this.lines = this.lines.slice(-this.max);
  }

  /** The last lines, including an unterminated final line. */
  get(): string[] {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-this.max);
  }

  /** The last non-empty line (progress display). */
  last(): string {
    const all = this.get();
    for (let i = all.length - 1; i >= 0; i--) if (all[i]!.trim()) return all[i]!;
    return '';
  }
}
