/** A word of a shell command as `setup import` reads it: its value with quotes removed, and whether the shell computes it. */
export interface Word {
  value: string;
  /** It holds an unquoted or double-quoted `$`, or a backquote: its value is the shell's, not this text. */
  dynamic: boolean;
}

/** One simple command of a line: its words, and whether a pipe, redirection or background `&` touches it. */
export interface Simple {
  words: Word[];
  /** The operators besides `&&` and `;` it holds (`|`, `>`, `>>`, `<`, `||`, `&`…), in order. */
  ops: string[];
  /** The words after each redirection operator, in order (`>> ~/.bashrc` → `~/.bashrc`). */
  targets: string[];
  /** Its text as written (trimmed). */
  text: string;
}

const OPS = ['&&', '||', '>>', '2>&1', '2>', '&>', '|', ';', '>', '<', '&'];

/**
 * Splits one shell line (no newlines: heredocs are kept whole by the caller) into simple commands at top-level
 * `&&` and `;`, reading quotes and backslashes the way bash does for words. A `#` that starts a word starts a
 * comment. Not a full shell parser: `$(…)` and `${…}` are kept inside the word that holds them, and a subshell or
 * `||` stays one command whose ops say so (the caller leaves such commands to a `run` step).
 */
export function splitCommands(line: string): Simple[] {
  const out: Simple[] = [];
  let cur: Simple = { words: [], ops: [], targets: [], text: '' };
  let start = 0;
  let word: Word | undefined;
  let redirectNext = false;
  const endWord = (): void => {
    if (!word) return;
    if (redirectNext) {
      cur.targets.push(word.value);
      redirectNext = false;
    } else cur.words.push(word);
    word = undefined;
  };
  const endCommand = (end: number): void => {
    endWord();
    cur.text = line.slice(start, end).trim();
    if (cur.words.length || cur.ops.length) out.push(cur);
    cur = { words: [], ops: [], targets: [], text: '' };
  };
  let depth = 0; // inside $( … ) or ${ … }: operators there belong to the word
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (depth === 0 && /\s/.test(c)) {
      endWord();
      continue;
    }
    if (depth === 0 && !word && c === '#') break;
    const op = depth === 0 ? OPS.find((o) => line.startsWith(o, i)) : undefined;
    if (op) {
      endWord();
      if (op === '&&' || op === ';') {
        endCommand(i);
        start = i + op.length;
      } else {
        cur.ops.push(op);
        redirectNext = op.includes('>') && op !== '2>&1' ? true : op === '<';
      }
      i += op.length - 1;
      continue;
    }
    word ??= { value: '', dynamic: false };
    if (c === '\\') {
      word.value += line[i + 1] ?? '';
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      word.value += line.slice(i + 1, stop);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) {
          j++;
          word.value += line[j];
          continue;
        }
        if (line[j] === '$' || line[j] === '`') word.dynamic = true;
        word.value += line[j];
      }
      i = j;
    } else {
      if (c === '$' || c === '`') word.dynamic = true;
      if (c === '$' && (line[i + 1] === '(' || line[i + 1] === '{')) depth++;
      else if (depth > 0 && (c === ')' || c === '}')) depth--;
      word.value += c;
    }
  }
  endCommand(line.length);
  return out;
}

/** The text of a line before a comment that starts a word (`pip install x # 用国内源` → `pip install x`). */
export function withoutComment(line: string): string {
  const cmds = splitCommands(line);
  if (!cmds.length) return '';
  // Find the `#` the splitter stopped at: the first one that starts a word outside quotes.
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}
