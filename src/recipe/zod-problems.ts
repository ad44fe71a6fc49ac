import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { closest } from '../util/did-you-mean.js';
import type { SourceDoc, YamlPath } from './source.js';

const KNOWN = '\u0000known:';

function describeInput(v: unknown): string {
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
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeInput(iss.input)}`;
    case 'unrecognized_keys': {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
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

/** Turns a zod failure into located problems, one per issue (one per unknown key). */
export function zodProblems(error: z.ZodError, source: SourceDoc, base: YamlPath): Problem[] {
  const out: Problem[] = [];
  for (const iss of error.issues) {
    const path = [...base, ...(iss.path as (string | number)[])];
    if (iss.message.startsWith(KNOWN)) {
      const known = JSON.parse(iss.message.slice(KNOWN.length)) as string[];
      for (const key of (iss as { keys: string[] }).keys) {
        const guess = closest(key, known.filter((k) => k !== '$schema'));
        out.push({
          severity: 'error',
          loc: source.locOf([...path, key], true),
          message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
          hint: guess ? undefined : `allowed here: ${known.filter((k) => k !== '$schema').join(', ')}`,
        });
      }
      continue;
    }
    const label = labelOf(path);
    out.push({ severity: 'error', loc: source.locOf(path), message: label ? `${label}: ${iss.message}` : iss.message });
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
