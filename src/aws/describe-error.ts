// One line for a target's error: guardrail's message, then AWS's reason from the cause chain.
import { GuardrailError } from '../errors.js';

export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const { name, message } = e as { name?: string; message?: string };
    const text =
      e instanceof GuardrailError || !name || name === 'Error'
        ? (message ?? thrownText(e))
        : `${name}: ${message ?? ''}`;
    if (text && !parts.some((p) => p.includes(text))) parts.push(text.trim());
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(': ') || thrownText(err);
}

/** A thrown value with no message: a string as it is, another primitive as String() writes it, an object as JSON. */
function thrownText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v !== 'object' || v === null) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return 'an object that cannot be shown';
  }
}
