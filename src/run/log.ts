import fs from 'node:fs';
import path from 'node:path';
import { longestSecret, redact } from '../util/redact.js';

/** The per-run log: every step's header, command and output, appended as it comes. */
export class RunLog {
  private readonly fd: number;

  /** Bytes in the file so far (what `put` wrote): where the next line starts. */
  private bytes: number;

  private constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a', 0o600);
    this.bytes = fs.fstatSync(this.fd).size;
  }

  /** The byte offset where the next line will start (output held back is written first). */
  offset(): number {
    this.flush();
    return this.bytes;
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

  private pending = '';

  /**
   * Appends output as it comes, secrets masked. Complete lines are written at once; a partial line is
   * held (up to a secret's length) so a secret split across chunks is still masked. Constant cost per chunk.
   */
  write(text: string): void {
    const all = this.pending + text;
    const nl = all.lastIndexOf('\n');
    let ready = nl === -1 ? '' : all.slice(0, nl + 1);
    let rest = nl === -1 ? all : all.slice(nl + 1);
    const hold = longestSecret();
    if (rest.length > Math.max(hold, 4096)) {
      ready += rest.slice(0, rest.length - hold);
      rest = rest.slice(rest.length - hold);
    }
    this.pending = rest;
    if (ready) this.put(redact(ready));
  }

  /** Appends one line (after any output still held back). */
  line(text: string): void {
    this.flush();
    this.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Why the log stopped being written (a full disk), if it did. */
  lost?: string;

  /**
   * Writes whole text, or stops logging: a log that cannot be written (no space left) must not stop the
   * run by itself — the journal and the steps' own writes report a full disk clearly.
   */
  private put(text: string): void {
    if (this.lost) return;
    const buf = Buffer.from(text);
    try {
      for (let off = 0; off < buf.length;) {
        const n = fs.writeSync(this.fd, buf, off, buf.length - off);
        if (n <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        off += n;
        this.bytes += n;
      }
    } catch (e) {
      this.lost = (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }

  /** Writes what is held back. */
  flush(): void {
    if (this.pending) {
      const p = this.pending;
      this.pending = '';
      this.put(redact(p.endsWith('\n') ? p : p + '\n'));
    }
  }

  close(): void {
    this.flush();
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

/**
 * A step's section of a run log (byte offsets from `RunLog.offset`), at most the last `max` bytes of it; ''
 * when the log cannot be read. The log is masked as written, so the excerpt is too.
 */
export function readLogSection(file: string, start: number, end: number, max = 64 * 1024): string {
  const from = Math.max(start, end - max);
  if (end <= from) return '';
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(end - from);
    const n = fs.readSync(fd, buf, 0, buf.length, from);
    // A cut at the front may split a UTF-8 character: start at the next whole line instead.
    const text = buf.subarray(0, n).toString('utf8');
    return from > start ? text.slice(text.indexOf('\n') + 1) : text;
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
