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
        message: name === '' ? 'empty template `{{ }}`' : `bad template expression "{{ ${name} }}": only variable names are allowed`,
        hint: 'write {{ name }} or {{ host.distro }}; templates hold no expressions',
      });
    } else {
      refs.push({ name, start: i, end: close + 2 });
    }
    i = close + 2;
  }
  return { refs, errors };
}

/** Substitutes every `{{ name }}`; with `quote`, each value is shell-quoted so it stays one literal word. */
export function renderTemplate(s: string, lookup: (name: string) => string, quote = false): string {
  if (!s.includes('{{')) return s;
  const { refs } = scanTemplate(s);
  let out = '';
  let last = 0;
  for (const r of refs) {
    const v = lookup(r.name);
    out += s.slice(last, r.start) + (quote ? shellQuote(v) : v);
    last = r.end;
  }
  return out + s.slice(last);
}

/**
 * Calls `visit` with every string in a value and its path. The path is one array, updated as the walk
 * goes (no copy per string, on a catalogue's every string): copy it to keep it.
 */
export function walkStrings(value: unknown, visit: (value: string, path: readonly (string | number)[]) => void, path: (string | number)[] = []): void {
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
export function mapStrings<T>(value: T, fn: (s: string, path: readonly (string | number)[]) => string, path: (string | number)[] = []): T {
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
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
      path.pop();
    }
    return out as T;
  }
  return value;
}

/**
 * Templates written inside quotes in a shell command (`"{{ x }}"`, `'{{ x }}'`). Values are shell-quoted
 * already, so inside quotes the quoting breaks — and a value with `$(…)` would run. A command
 * substitution `"$( … )"` starts a fresh quoting context, as in the shell. Returns their offsets.
 */
export function templatesInShellQuotes(cmd: string): number[] {
  const found: number[] = [];
  // One quoting state per nesting level of $( … ).
  const stack: ('"' | "'" | null)[] = [null];
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    const quote = stack[stack.length - 1]!;
    if (c === '{' && cmd[i + 1] === '{') {
      if (quote) found.push(i);
      i++;
      continue;
    }
    if (quote === "'") {
      if (c === "'") stack[stack.length - 1] = null;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '$' && cmd[i + 1] === '(') {
      stack.push(null);
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') stack[stack.length - 1] = null;
      continue;
    }
    if (c === ')' && stack.length > 1) stack.pop();
    else if (c === '"' || c === "'") stack[stack.length - 1] = c;
    else if (c === '#' && (i === 0 || /\s/.test(cmd[i - 1]!))) {
      const nl = cmd.indexOf('\n', i);
      if (nl === -1) break;
      i = nl;
    }
  }
  return found;
}
