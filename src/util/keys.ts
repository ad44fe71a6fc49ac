/**
 * User keys (variables, env names, config keys, profile entries, mirror rewrites) must never reach an
 * object's prototype: `__proto__.BASH_ENV` set through a plain object would give every later object a
 * BASH_ENV. So the three names that lead there are refused wherever a user writes a key or a dotted
 * key path, user keys live in null-prototype objects or Maps, and lookups go through Object.hasOwn.
 */

/** Key names that lead to a prototype (or its constructor) instead of a plain entry. */
export const POISON_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The first segment of a key or dotted key path (`a.__proto__.b`) that is a poison name, or undefined. */
export function poisonSegment(key: string): string | undefined {
  return key.split('.').find((seg) => POISON_KEYS.has(seg));
}

/** The message for a refused key, the same wherever it is found. */
export function poisonMessage(key: string, seg: string): string {
  return `key ${JSON.stringify(key)} ${key === seg ? 'is' : `uses "${seg}", which is`} reserved (it would reach a JavaScript prototype)`;
}

/** The hint for a refused key. */
export const POISON_HINT =
  'rename the key: __proto__, constructor and prototype are never allowed as key names or path segments';

/** An empty object with no prototype, for user-keyed data. */
export function dict<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of entries) out[k] = v;
  return out;
}

/** `obj[key]` only when it is obj's own entry (never an inherited one like `constructor`). */
export function getOwn<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * A deep copy of parsed data in which every map is a null-prototype object. Parsers hand back plain
 * objects; once copied, no key (even one a check missed) can reach Object.prototype through them.
 */
export function nullProto<T>(v: T): T {
  if (Array.isArray(v)) return v.map(nullProto) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(v)) out[k] = nullProto((v as Record<string, unknown>)[k]);
    return out as T;
  }
  return v;
}
