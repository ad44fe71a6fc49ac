/**
 * Load-time validation of PEP 508 requirement specs (`name[extras] (specifiers) ; marker`, `name @ url`),
 * so a typo like `foo==` is reported with its file and line before anything runs. It checks the syntax
 * only; what a spec means (is it satisfied?) is decided by the target interpreter's own `packaging`.
 */

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const PRE = String.raw`(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`;
const POST = String.raw`(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?`;
const DEV = String.raw`(?:[-_.]?dev[-_.]?[0-9]*)?`;
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const EPOCH = String.raw`v?(?:[0-9]+!)?`;
// The specifier grammar of PEP 440 (as `packaging.specifiers.Specifier` spells it), one per operator family.
const VERSION_FOR: Record<string, RegExp> = {
  '==': new RegExp(String.raw`^${EPOCH}[0-9]+(?:\.[0-9]+)*(?:\.\*|${PRE}${POST}${DEV}${LOCAL})$`, 'i'),
  '~=': new RegExp(String.raw`^${EPOCH}[0-9]+(?:\.[0-9]+)+${PRE}${POST}${DEV}$`, 'i'),
  other: new RegExp(String.raw`^${EPOCH}[0-9]+(?:\.[0-9]+)*${PRE}${POST}${DEV}$`, 'i'),
};
const OPERATOR = /^(===|~=|==|!=|<=|>=|<|>)\s*(.*)$/s;

/** A requirement's parts, as far as envkit needs them (the name, for messages). */
/** A distribution name as PEP 503 compares it: runs of `-`, `_` and `.` one `-`, lower case. */
export const canonicalName = (n: string): string => n.replace(/[-_.]+/g, '-').toLowerCase();

export interface ParsedRequirement {
  name: string;
  extras: string[];
}

/** Parses a requirement spec; an Error says what is wrong in one line. */
export function parseRequirement(spec: string): ParsedRequirement | Error {
  const bad = (why: string): Error => new Error(`invalid requirement "${spec}": ${why}`);
  const s = spec.trim();
  if (!s) return bad('it is empty');
  if (s.startsWith('-')) return bad('pip options do not go in the package list; put them under `args:`');
  const m = NAME.exec(s);
  if (!m || /^[./~]/.test(s) || /^[a-z+]+:\/\//i.test(s)) {
    return bad('expected a package name first (for a path or URL write `name @ file:///path` or `name @ https://…`)');
  }
  const name = m[0];
  let rest = s.slice(name.length).trimStart();
  let extras: string[] = [];
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) return bad('the extras list has no closing "]"');
    extras = rest
      .slice(1, end)
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const wrong = extras.find((e) => NAME.exec(e)?.[0] !== e);
    if (wrong !== undefined) return bad(`"${wrong}" is not an extra name`);
    rest = rest.slice(end + 1).trimStart();
  }
  if (rest.startsWith('@')) {
    const url = rest.slice(1).trim().split(/\s+;/)[0]!.trim();
    if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(url)) return bad('expected a URL after "@"');
    return { name, extras };
  }
  const semi = rest.indexOf(';');
  let versions = (semi < 0 ? rest : rest.slice(0, semi)).trim();
  if (semi >= 0 && !rest.slice(semi + 1).trim())
    return bad('nothing follows ";" (an environment marker like python_version >= "3.8")');
  if (versions.startsWith('(')) {
    if (!versions.endsWith(')')) return bad('the "(" around the version specifiers is not closed');
    versions = versions.slice(1, -1).trim();
  }
  if (!versions) return { name, extras };
  for (const item of versions.split(',')) {
    const part = item.trim();
    const op = OPERATOR.exec(part);
    if (!op) {
      const hint = /^=[^=]/.test(part) ? ' (did you mean "==")' : '';
      return bad(
        `"${part}" is not a version specifier${hint}: write an operator (==, >=, <=, !=, ~=, <, >) and a version, e.g. ${name}>=1.0`,
      );
    }
    const [, operator, version] = op as unknown as [string, string, string];
    if (!version.trim()) return bad(`"${operator}" needs a version after it, e.g. ${name}${operator}1.0`);
    if (operator === '===') continue; // arbitrary equality: any string
    const re =
      operator === '==' || operator === '!='
        ? VERSION_FOR['==']!
        : operator === '~='
          ? VERSION_FOR['~=']!
          : VERSION_FOR.other!;
    if (!re.test(version.trim())) {
      const why =
        operator === '~=' && /^v?[0-9]+$/.test(version.trim())
          ? ' (~= needs at least two parts, e.g. ~=1.4)'
          : /\*/.test(version)
            ? ' (a ".*" wildcard works only with == and !=)'
            : '';
      return bad(`"${version.trim()}" is not a valid version for ${operator}${why}`);
    }
  }
  return { name, extras };
}
