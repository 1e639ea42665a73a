// Whether an error says that AWS (or AWS_ENDPOINT_URL) could not be reached, rather than that it answered no: the
// socket errors Node reports by `code`, the SDK's timeouts by name, and a server error (HTTP 5xx) that outlasted the
// transient retries (retry.ts). An outage gets its own exit code (errors.ts), apart from a target found unhealthy.

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/** True when `err`, or an error in its cause chain, is a connection failure, a timeout or a 5xx answer. */
export function isUnreachable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 6; depth++) {
    const { code, name, $metadata } = e as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: unknown } };
    if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
    if (typeof name === 'string' && TIMEOUT_NAMES.has(name)) return true;
    const status = $metadata?.httpStatusCode;
    if (typeof status === 'number' && status >= 500) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
