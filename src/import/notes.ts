import { splitCommands, withoutComment } from './shell-words.js';

/** A shell command found in notes: its text (continuations joined, a heredoc kept whole) and where it was. */
export interface NoteCommand {
  text: string;
  /** 1-based first and last line. */
  line: number;
  endLine: number;
  /** The Markdown heading above it, if any, and its line (two sections may have one title). */
  section?: string;
  sectionLine?: number;
  /** Commands with the same paragraph number had no blank line, heading or fence between them. */
  paragraph: number;
}

/** Why a line of the notes is not a step. */
export type SkipReason = 'comment' | 'prose' | 'output' | 'link' | 'not a command' | 'dead end';

/** A line the import did not turn into a step, and why. */
export interface SkippedLine {
  line: number;
  text: string;
  reason: SkipReason;
  /** Said of this line in particular (dead ends: what the command does instead). */
  why?: string;
}

/**
 * First words of the lines taken as shell commands. Notes mix commands with prose, output and links; a closed
 * list misses a rare tool (the line is listed as skipped, so the user sees it) but never takes a sentence or
 * a line of output for a command.
 */
const COMMANDS = new Set(
  (
    'apt apt-get aptitude yum dnf rpm dpkg pip pip3 python python3 virtualenv pyenv conda mamba micromamba git ' +
    'export unset echo printf cd pushd popd wget curl tar unzip gzip cmake make ninja mkdir source . sudo rm mv cp ' +
    'ln sh bash chmod chown touch cat tee sed awk npm npx yarn node nvm go rustup cargo docker update-alternatives ' +
    'alias ldconfig systemctl service useradd usermod locale-gen localedef fc-cache pkg-config gcc g++ clang ' +
    'nvcc bazel mvn java snap brew add-apt-repository apt-key gpg install ulimit deactivate'
  ).split(' '),
);

/** Commands that do something with no arguments. */
const LONE = new Set(['make', 'ninja', 'deactivate', 'ldconfig', 'fc-cache', 'locale-gen']);

const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
/** Prompts people paste: `$ `, `(venv) $ `, `user@host:~$ `, `root@host:/x# `. */
const PROMPT = /^(?:\([\w.-]+\)\s*)?(?:[\w.-]+@[\w.-]+:[^\s$#]*[$#]\s+|\$\s+)/;
/** Output of tools: box drawing, bullets, check marks, arrows, emoji. */
const OUTPUT = /^[\u2500-\u27bf\u2022\u2043\u2190-\u21ff\u{1f300}-\u{1faff}>|=+*]/u;
const FENCE = /^\s*(```|~~~)/;
const HEADING = /^#{1,6}\s+(.*)$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * A Dockerfile's shell lines as the shell would run them: `RUN cmd` → `cmd`, `WORKDIR /x` → `cd /x`,
 * `ENV K=V` / `ENV K V` → `export K=V`. Other lines are as they are.
 */
export function dockerLine(line: string): string {
  const run = /^RUN\s+(?!\[)(.*)$/.exec(line);
  if (run) return run[1] ?? '';
  const dir = /^WORKDIR\s+(\S+)$/.exec(line);
  if (dir) return `cd ${dir[1]}`;
  const env = /^ENV\s+([A-Za-z_]\w*=.*)$/.exec(line);
  if (env) return `export ${env[1]}`;
  const legacy = /^ENV\s+([A-Za-z_]\w*)\s+(.*)$/.exec(line);
  if (legacy) return `export ${legacy[1]}="${legacy[2]}"`;
  return line;
}

/** What one line is: a command (its text without prompt or trailing comment), or a reason to skip it. */
export function classifyLine(raw: string): { command: string } | { reason: SkipReason } {
  const line = raw.trim();
  if (line.startsWith('#')) return { reason: 'comment' };
  if (/^(https?|ftp):\/\/\S+$/.test(line)) return { reason: 'link' };
  const prompt = PROMPT.exec(line);
  const text = withoutComment(prompt ? line.slice(prompt[0].length) : line);
  if (!prompt && OUTPUT.test(line)) return { reason: 'output' };
  // A subshell, `(cd build/python && python setup.py install)`, is a command when what it holds is one.
  const sub = /^\((.*)\)$/.exec(text);
  if (sub) {
    const inner = classifyLine(sub[1] ?? '');
    return 'command' in inner ? { command: text } : inner;
  }
  const first = splitCommands(text)[0]?.words[0]?.value ?? '';
  if (CJK.test(first)) return { reason: 'prose' };
  const known =
    COMMANDS.has(first) ||
    /^python3(\.\d+)?$|^pip3(\.\d+)?$/.test(first) ||
    /^\.{1,2}\//.test(first) ||
    /^\/\S*\/s?bin\/[^/]+$/.test(first);
  if (!known && !ASSIGNMENT.test(text)) return { reason: CJK.test(line) ? 'prose' : 'not a command' };
  // A tool's name alone is a name in a sentence ("mamba", "conda"), unless it does something by itself.
  if (!/\s/.test(text) && !LONE.has(text) && !ASSIGNMENT.test(text)) return { reason: 'not a command' };
  // A known word followed by prose ("make 之后再装") is a sentence: CJK outside a path or quoted argument.
  const loose = splitCommands(text).flatMap((c) => c.words.map((w) => w.value));
  if (loose.some((w) => CJK.test(w) && !w.includes('/'))) return { reason: 'prose' };
  return { command: text };
}

/**
 * The shell commands in a page of notes, with their line numbers, and every other non-blank line with why it
 * was skipped. Markdown headings name sections; outside fenced blocks a list item or quote is prose, and any
 * other line is judged like a line in a block (notes often leave commands outside fences). A line ending in
 * `\` continues on the next; a heredoc (`<<EOF`) runs to its terminator and stays one command.
 */
export function extractCommands(notes: string): { commands: NoteCommand[]; skipped: SkippedLine[] } {
  const lines = notes.replace(/\r\n?/g, '\n').split('\n');
  const markdown = lines.some((l) => FENCE.test(l));
  const commands: NoteCommand[] = [];
  const skipped: SkippedLine[] = [];
  let inFence = false;
  let section: string | undefined;
  let sectionLine: number | undefined;
  let paragraph = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = raw.trim();
    if (FENCE.test(raw)) {
      inFence = !inFence;
      paragraph++;
      continue;
    }
    if (!line) {
      paragraph++;
      continue;
    }
    const heading = !inFence && (markdown || line.startsWith('##')) ? HEADING.exec(line) : null;
    if (heading) {
      section = heading[1]?.trim() || undefined;
      sectionLine = i + 1;
      paragraph++;
      continue;
    }
    if (markdown && !inFence && /^(\d+\.|[-*+>])(\s|$)/.test(line)) {
      skipped.push({ line: i + 1, text: line, reason: 'prose' });
      continue;
    }
    // Each Dockerfile instruction is a step of its own (a layer): its cd does not join the RUN before it.
    if (dockerLine(line) !== line) paragraph++;
    const c = classifyLine(dockerLine(line));
    if ('reason' in c) {
      skipped.push({ line: i + 1, text: line, reason: c.reason });
      // Its continuation lines are the same line: never a command of their own (` && rm -rf …` of a RUN).
      for (let l = line; l.endsWith('\\') && i + 1 < lines.length;) {
        l = (lines[++i] ?? '').trim();
        skipped.push({ line: i + 1, text: l, reason: c.reason });
      }
      continue;
    }
    let text = c.command;
    const start = i;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      i++;
      text = `${text.slice(0, -1).trimEnd()} ${withoutComment((lines[i] ?? '').trim())}`;
    }
    const heredoc = /<<-?\s*(['"]?)([A-Za-z_]\w*)\1/.exec(text);
    if (heredoc) {
      const body: string[] = [];
      while (i + 1 < lines.length) {
        i++;
        const l = lines[i] ?? '';
        if (l.trim() === heredoc[2]) {
          body.push(l.trim());
          break;
        }
        body.push(l);
      }
      text = [text, ...body].join('\n');
    }
    commands.push({
      text,
      line: start + 1,
      endLine: i + 1,
      ...(section ? { section, sectionLine } : {}),
      paragraph,
    });
  }
  return { commands, skipped };
}
