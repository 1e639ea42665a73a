// One line for a target's error: guardrail's message, then AWS's reason from the cause chain.
import { GuardrailError } from '../errors.js';

export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const { name, message } = e as { name?: string; message?: string };
    const text = e instanceof GuardrailError || !name || name === 'Error' ? message ?? String(e) : `${name}: ${message ?? ''}`;
    if (text && !parts.some((p) => p.includes(text))) parts.push(text.trim());
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(': ') || String(err);
}
