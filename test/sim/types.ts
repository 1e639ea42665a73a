// The simulator's contract between the HTTP core (server.ts, protocols/) and the services (services/*).
// A service receives a decoded request and returns a plain object; the protocol layer serialises it.
import type { SimState } from './state.js';

/** Who is calling: derived from the access key in the SigV4 Authorization header. */
export interface Caller {
  accessKeyId: string;
  accountId: string;
  /** arn:aws:iam::ACCOUNT:root, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION */
  arn: string;
  /** for assumed roles: the role's ARN (arn:aws:iam::ACCOUNT:role/NAME) */
  roleArn?: string;
  roleName?: string;
  sessionName?: string;
  /** true when these credentials came from the simulator's AssumeRole */
  assumedRole: boolean;
  /** the principal id as AWS reports it (AROA…:session for roles, the account id for root) */
  userId: string;
}

export type Protocol = 'query' | 'ec2' | 'json' | 'rest-json' | 'rest-xml';

export interface SimRequest {
  service: string;
  region: string;
  caller: Caller;
  /** operation name (X-Amz-Target suffix, the Query `Action`, or the REST route's name) */
  operation: string;
  /** decoded input: JSON body, or the unflattened Query parameters */
  input: Record<string, unknown>;
  /** raw HTTP facts, for REST services */
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  requestId: string;
}

/** A REST-JSON handler may set the status and extra headers. */
export interface RestResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ServiceContext {
  state: SimState;
  /** the sim's own endpoint, e.g. http://127.0.0.1:4566 (for functions invoked inside the sim) */
  endpoint: string;
  /** milliseconds of simulated stack operation time */
  now(): number;
}

export interface Service {
  /** the SigV4 signing name, e.g. "cloudformation", "ec2", "events" */
  name: string;
  protocol: Protocol;
  /** for json: awsJson1_0 (DynamoDB) or awsJson1_1 (the default) */
  jsonVersion?: '1.0' | '1.1';
  /** XML namespace for query/ec2 protocols */
  xmlns?: string;
  /** the code AWS uses for this service's throttling error, and its HTTP status */
  throttle: {
    code: string;
    status: number;
    message: string;
    extra?: Record<string, unknown>;
    headers?: Record<string, string>;
  };
  /**
   * for rest-json and rest-xml: map method+path (and, for rest-xml, the query's subresource and the Host header's
   * virtual-hosted bucket) to an operation name (or undefined: 404 UnknownOperation, 405 for rest-xml)
   */
  route?(method: string, path: string, query?: URLSearchParams, host?: string): string | undefined;
  /** the response body, or a promise of it */
  handle(ctx: ServiceContext, req: SimRequest): unknown;
}

/** An AWS error as the wire protocols carry it. */
export class SimError extends Error {
  /** extra response headers (SQS's x-amzn-query-error for its query-compatible JSON errors) */
  headers?: Record<string, string>;
  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
    /** Query protocol <Type>: Sender or Receiver */
    public readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
    /** extra JSON fields for json/rest-json errors */
    public readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = code;
  }
}
