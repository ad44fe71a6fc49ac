import type { z } from 'zod';
import type { Problem } from '../util/errors.js';
import { closest } from '../util/did-you-mean.js';
import type { SourceDoc, YamlPath } from './source.js';

const KNOWN = '\u0000known:';
const MISSING = '\u0000missing:';

/** `the string "x"`, `the number 3`, `a map`: the value someone wrote, for "got …" in messages. */
export function describeInput(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  return `${typeof v === 'number' ? 'the number' : ''} ${String(v)}`.trim();
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
};

/** The zod error map that words every issue for people; unknown keys carry the allowed keys along. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return MISSING + (EXPECTED[iss.expected] ?? iss.expected);
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeInput(iss.input)}`;
    case 'invalid_key':
      // A record key that fails its own check (e.g. an env variable name): the key schema's message says why.
      return iss.issues[0]?.message ?? 'bad name';
    case 'unrecognized_keys': {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def
        ?.shape;
      return KNOWN + JSON.stringify(shape ? Object.keys(shape) : []);
    }
    case 'too_small':
      if (iss.origin === 'array') return 'must not be empty';
      if (iss.origin === 'string') return 'must not be empty';
      return `must be at least ${String(iss.minimum)}, got ${describeInput(iss.input)}`;
    case 'too_big':
      return `must be at most ${String(iss.maximum)}, got ${describeInput(iss.input)}`;
    case 'invalid_value': {
      const vals = iss.values.map((v) => JSON.stringify(v));
      return vals.length === 1 ? `expected ${vals[0]}` : `expected one of ${vals.join(', ')}`;
    }
    default:
      return undefined;
  }
};

/** Turns a zod failure into located problems, one per issue (one per unknown key). Parse with `reportInput: true` for "got …". */
export function zodProblems(error: Pick<z.ZodError, 'issues'>, source: SourceDoc, base: YamlPath): Problem[] {
  const out: Problem[] = [];
  // A misspelt key also trips the object's own rule ("needs one of …"); the typo is the one problem to report.
  const withUnknownKeys = new Set(
    error.issues.filter((i) => i.message.startsWith(KNOWN)).map((i) => JSON.stringify(i.path)),
  );
  for (const iss of error.issues) {
    if (iss.code === 'custom' && withUnknownKeys.has(JSON.stringify(iss.path))) continue;
    const path = [...base, ...(iss.path as (string | number)[])];
    if (iss.message.startsWith(KNOWN)) {
      const known = JSON.parse(iss.message.slice(KNOWN.length)) as string[];
      for (const key of (iss as { keys: string[] }).keys) {
        const guess = closest(
          key,
          known.filter((k) => k !== '$schema'),
        );
        out.push({
          severity: 'error',
          loc: source.locOf([...path, key], true),
          message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          hint: guess ? undefined : `allowed here: ${known.filter((k) => k !== '$schema').join(', ')}`,
        });
      }
      continue;
    }
    if (iss.message.startsWith(MISSING)) {
      const key = String(path[path.length - 1]);
      out.push({
        severity: 'error',
        loc: source.locOf(path),
        message: `missing key "${key}": expected ${iss.message.slice(MISSING.length)}`,
      });
      continue;
    }
    if (iss.code === 'invalid_key') {
      const parent = labelOf(path.slice(0, -1));
      const name = `bad name "${String(path[path.length - 1])}": ${iss.message}`;
      out.push({ severity: 'error', loc: source.locOf(path, true), message: parent ? `${parent}: ${name}` : name });
      continue;
    }
    let message = iss.message;
    if (iss.code === 'invalid_union' && 'input' in iss && !message.includes(', got '))
      message += `, got ${describeInput(iss.input)}`;
    const label = labelOf(path);
    // `env: env needs …` reads twice; a message that starts with its own label needs no prefix.
    out.push({
      severity: 'error',
      loc: source.locOf(path),
      message: label && !message.startsWith(`${label} `) ? `${label}: ${message}` : message,
    });
  }
  return out;
}

/** `steps[2].timeout` → `timeout`; `requires[1]` → `requires[1]`. */
function labelOf(path: YamlPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return '';
  if (typeof last === 'number') {
    const parent = path[path.length - 2];
    return parent === undefined ? `[${last}]` : `${String(parent)}[${last}]`;
  }
  return last;
}
