import { shellQuote } from '../util/shell.js';

/** One `{{ name }}` reference inside a string. */
export interface TemplateRef {
  name: string;
  /** Offsets of the whole `{{ … }}` in the string. */
  start: number;
  end: number;
}

/** A malformed template in a string. */
export interface TemplateSyntaxError {
  offset: number;
  message: string;
  hint?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/** Finds every `{{ name }}` in a string, and every malformed one. */
export function scanTemplate(s: string): { refs: TemplateRef[]; errors: TemplateSyntaxError[] } {
  const refs: TemplateRef[] = [];
  const errors: TemplateSyntaxError[] = [];
  let i = 0;
  while ((i = s.indexOf('{{', i)) !== -1) {
    const close = s.indexOf('}}', i + 2);
    const nextOpen = s.indexOf('{{', i + 2);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      errors.push({ offset: i, message: 'unclosed template: `{{` without a matching `}}`', hint: 'write {{ name }}' });
      i += 2;
      continue;
    }
    const name = s.slice(i + 2, close).trim();
    if (!NAME.test(name)) {
      errors.push({
        offset: i,
        message:
          name === ''
            ? 'empty template `{{ }}`'
            : `bad template expression "{{ ${name} }}": only variable names are allowed`,
        hint: 'write {{ name }} or {{ host.distro }}; templates hold no expressions',
      });
    } else {
      refs.push({ name, start: i, end: close + 2 });
    }
    i = close + 2;
  }
  return { refs, errors };
}

/** Substitutes every `{{ name }}` with its value as it is (shell commands use renderShell). */
export function renderTemplate(s: string, lookup: (name: string) => string): string {
  if (!s.includes('{{')) return s;
  const { refs } = scanTemplate(s);
  let out = '';
  let last = 0;
  for (const r of refs) {
    const v = lookup(r.name);
    out += s.slice(last, r.start) + v;
    last = r.end;
  }
  return out + s.slice(last);
}

/**
 * Calls `visit` with every string in a value and its path. The path is one array, updated as the walk
 * goes (no copy per string, on a catalogue's every string): copy it to keep it.
 */
export function walkStrings(
  value: unknown,
  visit: (value: string, path: readonly (string | number)[]) => void,
  path: (string | number)[] = [],
): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walkStrings(value[i], visit, path);
      path.pop();
    }
  } else if (value && typeof value === 'object') {
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      path.push(k);
      walkStrings((value as Record<string, unknown>)[k], visit, path);
      path.pop();
    }
  }
}

/** Maps every string in a value through `fn`, keeping its shape. The path is live, as in walkStrings. */
export function mapStrings<T>(
  value: T,
  fn: (s: string, path: readonly (string | number)[]) => string,
  path: (string | number)[] = [],
): T {
  if (typeof value === 'string') return fn(value, path) as T;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      out[i] = mapStrings(value[i], fn, path);
      path.pop();
    }
    return out as T;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      path.push(k);
      const v = mapStrings((value as Record<string, unknown>)[k], fn, path);
      // A `__proto__` key is data: an own property, never the prototype.
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
      path.pop();
    }
    return out as T;
  }
  return value;
}

/**
 * Where a template stands in a bash script, which decides how its value is referred to:
 * - `word`: a plain word (or a comment) — `"${envkit_x}"`, one literal word;
 * - `dq`: inside double quotes, or in an unquoted heredoc's body — `${envkit_x}`, expanded once, never re-read;
 * - `sq`: inside single quotes — the shell expands nothing there, so no value can reach it (an error);
 * - `qheredoc`: in a quoted heredoc's body (`<<'EOF'`) — the same, and a value holding the end line would end it;
 * - `arith`: an arithmetic context (`$(( ))`, `(( ))`, `[[ … -eq … ]]`, `let`, an array index, a `${x:offset}`)
 *   — bash evaluates a value there as an expression, and `a[$(…)]` in it runs: only an int may stand there;
 * - `code`: text another program runs as code — an argument of `eval`, `trap`, `ssh`, `su`, an `awk` or `sed`
 *   command, or the word after `-c`/`-e` of a shell or interpreter (`sh -c "…"`, `python3 -c "…"`): bash hands
 *   the value over as text, and that program would run it. Only a value of a shell-inert type may stand there.
 */
export type ShellContext = 'word' | 'dq' | 'sq' | 'qheredoc' | 'arith' | 'code';

/** A template in a shell command, with where it stands. */
export interface ShellTemplate extends TemplateRef {
  context: ShellContext;
  /** Inside double quotes (a `code` template keeps its quoting). */
  inDq?: boolean;
}

const ARITH_TEST = /\s-(eq|ne|lt|le|gt|ge)\s/;
/** Programs that run their arguments as code (see ShellContext `code`), and those that run the one after `-c`/`-e`. */
const CODE_PROGRAMS = 'eval|trap|ssh|su|awk|gawk|mawk|nawk|sed';
const INTERPRETERS =
  '(?:ba|da|z|k|c|tc|fi)?sh|python[0-9.]*|perl[0-9.]*|ruby|node|nodejs|php|lua[0-9.]*|Rscript|osascript|tclsh|su';
/** A program name (an argv list's first item) that runs its arguments as code. */
export const CODE_PROGRAM = new RegExp(`^(?:${CODE_PROGRAMS})$`);
/** A program name that runs the argument after `-c` / `-e` (`CODE_SCRIPT_FLAG`) as a script. */
export const INTERPRETER = new RegExp(`^(?:${INTERPRETERS})$`);
export const CODE_SCRIPT_FLAG = /^-[A-Za-z]*[ce]$/;
const CODE_COMMAND = new RegExp(`(^|[\\s/])(${CODE_PROGRAMS})\\s`);
const CODE_FLAG = new RegExp(`(^|[\\s/])(${INTERPRETERS})\\s(.*\\s)?-[A-Za-z]*[ce]\\s+$`);
const WORD_BREAK = /[\s;&|()<>]/;

/**
 * Every template in a bash script with its context (see ShellContext). A small lexer of the bash syntax
 * that changes how text is read: quotes, `$( )`, backquotes, `${ }`, comments, heredocs, arithmetic and
 * `[[ ]]`. It errs towards the stricter context where bash's grammar is beyond it.
 */
export function shellTemplates(cmd: string): ShellTemplate[] {
  const found: ShellTemplate[] = [];
  // `cmd`: where the current simple command starts (frames that hold commands); `at`: where a quote opened.
  type Frame = {
    t: 'top' | 'sub' | 'bq' | 'dq' | 'sq' | 'arith' | 'test' | 'param' | 'index' | 'let';
    arith: boolean;
    depth?: number;
    name?: boolean;
    cmd?: number;
    at?: number;
  };
  const stack: Frame[] = [{ t: 'top', arith: false, cmd: 0 }];
  const heredocs: { delim: string; quoted: boolean; strip: boolean }[] = [];
  const top = (): Frame => stack[stack.length - 1]!;
  const push = (t: Frame['t'], arith = top().arith, at = 0): void =>
    void stack.push({ t, arith, depth: 0, cmd: at, at });
  const atWordStart = (i: number): boolean => i === 0 || WORD_BREAK.test(cmd[i - 1]!);
  const context = (at: number): ShellContext => {
    const f = top();
    if (f.arith) return 'arith';
    if (f.t === 'sq') return 'sq';
    if (isCode(at)) return 'code';
    return f.t === 'dq' ? 'dq' : 'word';
  };
  // The text of the simple command a template at `at` is part of, and of its word before it.
  const isCode = (at: number): boolean => {
    let k = stack.length - 1;
    while (k > 0 && !['top', 'sub', 'bq'].includes(stack[k]!.t)) k--;
    const prefix = cmd.slice(stack[k]!.cmd ?? 0, at);
    if (CODE_COMMAND.test(prefix)) return true;
    // The word the template is in starts at its opening quote, or after the last blank before it.
    const f = top();
    const wordStart = f.t === 'dq' ? f.at! - (stack[k]!.cmd ?? 0) : Math.max(prefix.search(/\S*$/), 0);
    return CODE_FLAG.test(prefix.slice(0, wordStart));
  };
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    const f = top();
    if (c === '{' && cmd[i + 1] === '{') {
      const close = cmd.indexOf('}}', i + 2);
      if (close === -1) break;
      const name = cmd.slice(i + 2, close).trim();
      if (NAME.test(name))
        found.push({
          name,
          start: i,
          end: close + 2,
          context: context(i),
          ...(top().t === 'dq' ? { inDq: true } : {}),
        });
      i = close + 1;
      continue;
    }
    if (f.t === 'sq') {
      if (c === "'") stack.pop();
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '\n' && heredocs.length && (f.t === 'top' || f.t === 'sub' || f.t === 'let')) {
      if (f.t === 'let') stack.pop();
      // Heredoc bodies follow the line that opened them, one after another.
      let at = i + 1;
      for (const h of heredocs.splice(0)) {
        let end = at;
        for (;;) {
          const nl = cmd.indexOf('\n', end);
          const line = cmd.slice(end, nl === -1 ? cmd.length : nl);
          if ((h.strip ? line.replace(/^\t+/, '') : line) === h.delim) {
            end = nl === -1 ? cmd.length : nl;
            break;
          }
          if (nl === -1) {
            end = cmd.length;
            break;
          }
          end = nl + 1;
        }
        for (const r of scanTemplate(cmd.slice(at, end)).refs)
          found.push({
            ...r,
            start: r.start + at,
            end: r.end + at,
            context: h.quoted ? 'qheredoc' : top().arith ? 'arith' : 'dq',
          });
        at = end;
      }
      i = at - 1;
      continue;
    }
    if (c === '$' && cmd.startsWith('((', i + 1)) {
      push('arith', true);
      i += 2;
      continue;
    }
    if (c === '$' && cmd[i + 1] === '[') {
      // `$[ … ]`: bash's old arithmetic expansion.
      stack.push({ t: 'index', arith: true });
      i++;
      continue;
    }
    if (c === '$' && cmd[i + 1] === '(') {
      push('sub', top().arith, i + 2);
      i++;
      continue;
    }
    if (c === '$' && cmd[i + 1] === '{') {
      stack.push({ t: 'param', arith: f.arith, name: true });
      i++;
      continue;
    }
    if (c === '`') {
      if (f.t === 'bq') stack.pop();
      else push('bq', f.arith, i + 1);
      continue;
    }
    if (f.t === 'dq') {
      if (c === '"') stack.pop();
      continue;
    }
    if (c === '"') {
      push('dq', f.arith, i);
      continue;
    }
    if ((f.t === 'top' || f.t === 'sub' || f.t === 'bq') && /[;&|\n(){}]/.test(c)) f.cmd = i + 1;
    if (c === "'") {
      push('sq');
      continue;
    }
    if (f.t === 'arith') {
      if (c === '(') f.depth!++;
      else if (c === ')') {
        if (f.depth! > 0) f.depth!--;
        else {
          stack.pop();
          if (cmd[i + 1] === ')') i++;
        }
      }
      continue;
    }
    if (f.t === 'param') {
      if (c === '}') stack.pop();
      else if (f.name && c === '[') stack.push({ t: 'index', arith: true });
      else if (f.name && c === ':' && !/[-=?+]/.test(cmd[i + 1] ?? '')) {
        f.arith = true;
        f.name = false;
      } else if (!/[A-Za-z0-9_#!@*]/.test(c)) f.name = false;
      continue;
    }
    if (f.t === 'index') {
      if (c === ']') stack.pop();
      continue;
    }
    if (f.t === 'test' && c === ']' && cmd[i + 1] === ']') {
      stack.pop();
      i++;
      continue;
    }
    if (f.t === 'let' && (c === ';' || c === '\n' || c === '&' || c === '|')) {
      stack.pop();
      continue;
    }
    if (f.t === 'sub' && c === ')') {
      stack.pop();
      continue;
    }
    if (c === '(' && cmd[i + 1] === '(' && atWordStart(i)) {
      push('arith', true);
      i++;
      continue;
    }
    if (c === '[' && cmd[i + 1] === '[' && atWordStart(i)) {
      const close = cmd.indexOf(']]', i + 2);
      stack.push({ t: 'test', arith: f.arith || ARITH_TEST.test(cmd.slice(i + 2, close === -1 ? cmd.length : close)) });
      i++;
      continue;
    }
    if (c === '[' && i > 0 && /[A-Za-z0-9_]/.test(cmd[i - 1]!)) {
      stack.push({ t: 'index', arith: true });
      continue;
    }
    if (atWordStart(i) && /^(let|declare -i|local -i)\s/.test(cmd.slice(i, i + 11))) {
      stack.push({ t: 'let', arith: true });
      continue;
    }
    if (c === '<' && cmd[i + 1] === '<' && cmd[i + 2] !== '<') {
      const m = /^<<(-?)[ \t]*(?:'([^']*)'|"([^"]*)"|\\?([^\s;&|<>()]+))/.exec(cmd.slice(i));
      if (m) {
        const word = m[2] ?? m[3] ?? m[4]!;
        heredocs.push({
          delim: word.replace(/\\/g, ''),
          quoted: m[2] !== undefined || m[3] !== undefined || /\\/.test(m[0]),
          strip: m[1] === '-',
        });
        i += m[0].length - 1;
      }
      continue;
    }
    if (c === '#' && atWordStart(i)) {
      // A comment: a value there is inert whatever it holds (a newline in it stays inside the quotes).
      const nl = cmd.indexOf('\n', i);
      for (const r of scanTemplate(cmd.slice(i, nl === -1 ? cmd.length : nl)).refs)
        found.push({ ...r, start: r.start + i, end: r.end + i, context: 'word' });
      if (nl === -1) break;
      i = nl - 1;
    }
  }
  return found;
}

/** A shell command with its template values moved out of its text (see renderShell). */
export interface ShellCommand {
  /** The script bash runs: each value is a reference to an environment variable, never text. */
  shell: string;
  /** Those variables' values. */
  vars: Record<string, string>;
  /** The script as people read it: the values written in, shell-quoted. Never run. */
  display: string;
}

/** The environment variable that carries a template's value into a script: `envkit_` and the name's letters. */
export function shellVarName(name: string): string {
  return `envkit_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * Renders a bash script so that no value is ever part of its text: each `{{ name }}` becomes a reference to an
 * environment variable holding the value (`"${envkit_name}"` as a word, `${envkit_name}` inside double quotes
 * or a heredoc). Quoting cannot be made safe in every context (comments, heredocs, arithmetic); a variable is
 * expanded once and never read as code. Contexts where no value may stand are refused when the recipe loads
 * (shellTemplateProblems), so here every template is rendered.
 */
export function renderShell(s: string, lookup: (name: string) => string): ShellCommand {
  if (!s.includes('{{')) return { shell: s, vars: {}, display: s };
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  const owner = new Map<string, string>();
  let shell = '';
  let display = '';
  let last = 0;
  for (const t of shellTemplates(s)) {
    const value = lookup(t.name);
    let env = shellVarName(t.name);
    // Two names with the same letters (`a-b`, `a_b`) get two variables.
    for (let n = 2; owner.has(env) && owner.get(env) !== t.name; n++) env = `${shellVarName(t.name)}_${n}`;
    owner.set(env, t.name);
    vars[env] = value;
    const gap = s.slice(last, t.start);
    const asWord = t.context === 'word' || (t.context === 'code' && !t.inDq);
    shell += gap + (asWord ? `"\${${env}}"` : `\${${env}}`);
    display += gap + (asWord ? shellQuote(value) : value);
    last = t.end;
  }
  return { shell: shell + s.slice(last), vars: { ...vars }, display: display + s.slice(last) };
}

/** Load errors for templates where a shell command cannot take a value safely (see ShellContext). */
export function shellTemplateProblems(
  cmd: string,
  isInt: (name: string) => boolean,
  isInert: (name: string) => boolean = isInt,
): { offset: number; needle: string; message: string; hint: string }[] {
  const out: { offset: number; needle: string; message: string; hint: string }[] = [];
  for (const t of shellTemplates(cmd)) {
    const needle = cmd.slice(t.start, t.end);
    if (t.context === 'sq') {
      out.push({
        offset: t.start,
        needle,
        message: 'a template inside single quotes in a shell command: bash inserts nothing there',
        hint: `write it outside the quotes, or inside double quotes: echo "${needle}"`,
      });
    } else if (t.context === 'qheredoc') {
      out.push({
        offset: t.start,
        needle,
        message:
          "a template in a quoted heredoc (<<'EOF'): bash inserts nothing there, and a value holding the end line would end it",
        hint: 'use an unquoted heredoc (<<EOF): the value is inserted there as text, never run',
      });
    } else if (t.context === 'code' && !isInert(t.name)) {
      out.push({
        offset: t.start,
        needle,
        message: `a template in text another program runs as code (eval, trap, ssh, su, awk, sed, or the script after sh -c / python3 -c …): bash hands "${t.name}" over as text, and that program would run what it holds`,
        hint: `pass it as an argument the code reads (sh -c '… "$1"' sh ${needle}), or declare it a shell-inert type: vars: { ${t.name}: { default: …, type: version } } (int, bool, version, path, enum)`,
      });
    } else if (t.context === 'arith' && !isInt(t.name)) {
      out.push({
        offset: t.start,
        needle,
        message: `a template in an arithmetic context ($(( )), (( )), [[ … -eq … ]], let, an array index) needs an int: bash evaluates "${t.name}" there as an expression, and a[$(…)] in a value would run`,
        hint: `declare it an int: vars: { ${t.name}: { default: 1, type: int } }`,
      });
    }
  }
  return out;
}
