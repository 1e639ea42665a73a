// How a value of untrusted input is shown in a reason or a log field. Never String() of an object: it says nothing
// ("[object Object]"), and JSON can give an object a `toString` that is not a function, on which String() throws.

/**
 * A string as it is, a number, boolean, null or undefined as String() writes it, anything else by its kind; cut to
 * `max`.
 */
export function shown(v: unknown, max: number): string {
  const text =
    typeof v === 'string'
      ? v
      : v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : Array.isArray(v)
          ? 'a list'
          : typeof v === 'object'
            ? 'an object'
            : typeof v;
  return text.slice(0, max);
}
