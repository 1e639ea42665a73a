// Wire protocols: decode requests into plain objects, encode results and errors as the SDK v3 expects.
//  - query (awsQuery: STS, CloudFormation, SNS, IAM, SQS-query): form body, XML <OpResponse><OpResult>, <ErrorResponse>
//  - ec2: form body, XML <OpResponse> without a Result wrapper, lists as <item>, <Response><Errors><Error>
//  - json (awsJson1_1: Organizations, EventBridge, CloudTrail): X-Amz-Target, JSON body, {"__type","message"}
//  - rest-json (Lambda): routed by method and path, JSON body, x-amzn-errortype header
import type { SimError } from './types.js';

/**
 * Turns flat Query parameters into a nested object.
 * `Parameters.member.1.ParameterKey=a` → `{ Parameters: [{ ParameterKey: 'a' }] }` (awsQuery lists),
 * `IpPermissions.1.IpRanges.1.CidrIp=x` → `{ IpPermissions: [{ IpRanges: [{ CidrIp: 'x' }] }] }` (EC2 lists),
 * `Attributes.entry.1.key=k&Attributes.entry.1.value=v` → `{ Attributes: { k: 'v' } }` (maps).
 */
export function unflattenQuery(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const parts = key.split('.').filter((p) => p !== 'member');
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      if (last) {
        node[part] = value;
      } else {
        if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
      }
    }
  }
  return normalise(root) as Record<string, unknown>;
}

/** Objects whose keys are all positive integers become arrays (ordered by index); `entry` maps become objects. */
function normalise(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === 'entry') {
    const entries = normalise(obj.entry);
    const out: Record<string, unknown> = {};
    if (Array.isArray(entries)) {
      for (const e of entries as Record<string, unknown>[]) {
        const k = (e.key ?? e.Key ?? e.Name) as string | undefined;
        if (k !== undefined) out[k] = e.value ?? e.Value;
      }
    }
    return out;
  }
  if (keys.length > 0 && keys.every((k) => /^[1-9]\d*$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => normalise(obj[k]));
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = normalise(obj[k]);
  return out;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/**
 * Serialises a plain value to XML children. Arrays become repeated `<member>` (query) or `<item>` (ec2) elements;
 * Dates become ISO strings; null and undefined are left out. A key ending in `@flat` is written as a flattened
 * list (each item is an element with the key's name, no wrapper).
 */
export function toXml(value: unknown, listItem: 'member' | 'item'): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<${listItem}>${toXml(v, listItem)}</${listItem}>`).join('');
  if (typeof value === 'object') {
    let out = '';
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      if (k.endsWith('@flat') && Array.isArray(v)) {
        const name = k.slice(0, -5);
        out += v.map((item) => `<${name}>${toXml(item, listItem)}</${name}>`).join('');
        continue;
      }
      out += `<${k}>${toXml(v, listItem)}</${k}>`;
    }
    return out;
  }
  return escapeXml(String(value));
}

export function queryResponse(operation: string, result: unknown, xmlns: string, requestId: string): string {
  const body =
    result === undefined || result === null
      ? ''
      : `<${operation}Result>${toXml(result, 'member')}</${operation}Result>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${xmlns}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function queryError(err: SimError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${err.type}</Type><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

export function ec2Response(operation: string, result: unknown, xmlns: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${xmlns}"><requestId>${requestId}</requestId>` +
    `${toXml(result ?? {}, 'item')}</${operation}Response>`
  );
}

export function ec2Error(err: SimError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

export function jsonError(err: SimError): string {
  return JSON.stringify({ __type: err.code, message: err.message, ...(err.extra ?? {}) });
}
