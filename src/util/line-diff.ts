/**
 * A line diff (Myers' O(ND) algorithm) and its unified form (`diff -u`), for `plan --diff` and `run --diff`.
 * Written here because no dependency of ours has one and the job is small; pure, no I/O.
 */

/** One line of an edit script: kept (` `), removed from the old text (`-`) or added from the new (`+`). */
export interface DiffLine {
  op: ' ' | '-' | '+';
  /** The line with its `\n`, when it has one (the last line of a text may not). */
  text: string;
}

/**
 * Past this many differing lines the search stops and the rest is shown as removed then added: still a
 * correct diff, only not the shortest, and memory stays bounded (the search keeps O(D²) numbers).
 */
const MAX_EDIT = 2000;

/** A text's lines, each with its `\n` (the last without one when the text does not end with a newline). */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length;) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

/** The shortest edit script turning `a` into `b` (removals before additions within a change). */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head = a.slice(0, start).map((text): DiffLine => ({ op: ' ', text }));
  const tail = a.slice(endA).map((text): DiffLine => ({ op: ' ', text }));
  return [...head, ...middle(a.slice(start, endA), b.slice(start, endB)), ...tail];
}

/** Myers' greedy search with its trace kept, then walked back into an edit script. */
function middle(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const whole = (): DiffLine[] => [
    ...a.map((text): DiffLine => ({ op: '-', text })),
    ...b.map((text): DiffLine => ({ op: '+', text })),
  ];
  if (!n || !m) return whole();
  const max = Math.min(n + m, MAX_EDIT);
  // v[k + offset]: the furthest x on diagonal k (x − y = k); trace[d]: v before step d.
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return whole();
  // Walk back from (n, m): each step d came from diagonal k ± 1 of the trace before it.
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d]!; // v as it was before step d, indexed from diagonal −d − 1
    const at = (k: number): number => prev[k + d + 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const pk = down ? k + 1 : k - 1;
    const px = at(pk);
    const py = px - pk;
    while (x > px + (down ? 0 : 1) && y > py + (down ? 1 : 0)) {
      out.push({ op: ' ', text: a[--x]! });
      y--;
    }
    if (down) out.push({ op: '+', text: b[--y]! });
    else out.push({ op: '-', text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ op: ' ', text: a[--x]! });
    y--;
  }
  return out.reverse();
}

/** What `unifiedDiff` is given: the two texts (undefined: the file does not exist) and the name to show. */
export interface DiffInput {
  path: string;
  before: string | undefined;
  after: string;
  /** Lines of context around each change (default 3, as `diff -u`). */
  context?: number;
  /** Rewrites the edit script before it is written (plan/diff.ts masks secrets there). */
  mask?: (lines: DiffLine[]) => DiffLine[];
}

const range = (start: number, count: number): string =>
  count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;

/**
 * Does this text stand for a binary file? A NUL (git's test), or U+FFFD where reading as UTF-8 met bytes
 * that are not: a line diff of either would be wrong or unreadable.
 */
export function isBinaryText(text: string | undefined): boolean {
  return text !== undefined && (text.includes('\0') || text.includes('\uFFFD'));
}

/**
 * `before` → `after` as a unified diff (`--- path` / `+++ path`, `@@ -l,n +l,n @@` hunks, `\ No newline
 * at end of file`), a file that does not exist yet as from `/dev/null`; empty when the texts are equal; one
 * `Binary files … differ` line when either is binary (isBinaryText).
 */
export function unifiedDiff({ path, before, after, context = 3, mask }: DiffInput): string {
  if (before === after) return '';
  // As git and GNU diff say it: the bytes would be garbled or unreadable line by line.
  if (isBinaryText(before) || isBinaryText(after))
    return `Binary files ${before === undefined ? '/dev/null' : path} and ${path} differ\n`;
  const script = diffLines(splitLines(before ?? ''), splitLines(after));
  const lines = mask ? mask(script) : script;
  const out = [`--- ${before === undefined ? '/dev/null' : path}\n`, `+++ ${path}\n`];
  let i = 0;
  // Line numbers (1-based) in the old and new text of lines[i].
  let oldNo = 1;
  let newNo = 1;
  while (i < lines.length) {
    let next = i;
    while (next < lines.length && lines[next]!.op === ' ') next++;
    if (next === lines.length) break;
    const from = Math.max(i, next - context);
    oldNo += from - i;
    newNo += from - i;
    // The hunk runs to the last change followed by more than 2 × context unchanged lines (or the end).
    let end = next;
    let same = 0;
    for (let j = next; j < lines.length; j++) {
      if (lines[j]!.op === ' ') {
        if (++same > 2 * context) break;
      } else {
        same = 0;
        end = j;
      }
    }
    const to = Math.min(lines.length, end + 1 + context);
    const hunk = lines.slice(from, to);
    const olds = hunk.filter((l) => l.op !== '+').length;
    const news = hunk.filter((l) => l.op !== '-').length;
    out.push(`@@ -${range(oldNo, olds)} +${range(newNo, news)} @@\n`);
    for (const l of hunk) {
      out.push(l.op + l.text + (l.text.endsWith('\n') ? '' : '\n\\ No newline at end of file\n'));
    }
    oldNo += olds;
    newNo += news;
    i = to;
  }
  return out.join('');
}
