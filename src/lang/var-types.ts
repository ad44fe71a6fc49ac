import { SHELL_ACTIVE } from '../util/shell.js';

/**
 * Declared variable types: a recipe that needs a value of a certain shape says so (`type: int`), and every
 * value — the default, `--set`, config.yaml — is checked against it before anything runs. A value of the
 * wrong shape is refused, never coerced.
 */
export const VAR_TYPES = ['string', 'int', 'bool', 'version', 'path', 'enum'] as const;
export type VarTypeName = (typeof VAR_TYPES)[number];

/** A variable's declared type (`values` for an enum). */
export interface VarType {
  type: VarTypeName;
  values?: string[];
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+~_-]*$/;

/** Why `value` is not of type `t`, or undefined when it is. */
export function varTypeProblem(t: VarType, value: string): string | undefined {
  switch (t.type) {
    case 'string':
      return undefined;
    case 'int':
      // No leading zeros: bash reads 010 as octal 8 and 08 as an error.
      return /^-?(0|[1-9][0-9]{0,14})$/.test(value)
        ? undefined
        : `${JSON.stringify(value)} is not an int (digits without leading zeros, an optional leading -)`;
    case 'bool':
      return value === 'true' || value === 'false'
        ? undefined
        : `${JSON.stringify(value)} is not a bool (true or false)`;
    case 'version':
      return VERSION.test(value)
        ? undefined
        : `${JSON.stringify(value)} is not a version (letters, digits and . + ~ _ -, starting with a letter or digit)`;
    case 'path':
      // Shell-inert too, so a path may stand where a program reads text as code (sed, sh -c).
      // eslint-disable-next-line no-control-regex
      return value !== '' && !/[\x00-\x1f\x7f]/.test(value) && !SHELL_ACTIVE.test(value)
        ? undefined
        : `${JSON.stringify(value)} is not a path (${value === '' ? 'empty' : 'it holds a control character, a quote, a backslash or one of ` $ ; & | < > ( )'})`;
    case 'enum':
      return t.values?.includes(value) ? undefined : `${JSON.stringify(value)} is not one of ${valuesText(t)}`;
  }
}

/** Types whose values hold nothing a shell or another interpreter would read as code (all but string, and an enum of such values). */
export function isInertType(t: VarType): boolean {
  if (t.type === 'string') return false;
  if (t.type === 'enum') return (t.values ?? []).every((v) => /^[A-Za-z0-9_.+~:,/@%=-]*$/.test(v));
  return true;
}

/** `int`, or `enum (a, b)`, for messages. */
export function varTypeText(t: VarType): string {
  return t.type === 'enum' ? `enum (${valuesText(t)})` : t.type;
}

const valuesText = (t: VarType): string =>
  (t.values ?? []).map((v) => (/^[\w.+~-]+$/.test(v) ? v : JSON.stringify(v))).join(', ');
