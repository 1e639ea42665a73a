// STS (awsQuery): GetCallerIdentity and AssumeRole, with AWS's validation, trust and role-chaining rules.
import { SimError, type Caller, type Service } from '../types.js';
import { accountState, type Credentials, type IamRole, type SimState } from '../state.js';
import { roleIdFor } from '../server.js';

/** The role AWS Organizations creates in every account it creates, trusting the management account. */
export const ORG_ACCESS_ROLE = 'OrganizationAccountAccessRole';
/** IAM's default MaxSessionDuration for a role. */
const DEFAULT_MAX_SESSION = 3600;
const CHAINED_MAX_SESSION = 3600;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;

export const sts: Service = {
  name: 'sts',
  protocol: 'query',
  xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    switch (req.operation) {
      case 'GetCallerIdentity':
        return { UserId: req.caller.userId, Account: req.caller.accountId, Arn: req.caller.arn };
      case 'AssumeRole':
        return assumeRole(ctx.state, req.caller, req.input);
      default:
        throw new SimError('InvalidAction', `Could not find operation ${req.operation} for version 2011-06-15`, 400);
    }
  },
};

function validationError(messages: string[]): SimError {
  const n = messages.length;
  return new SimError(
    'ValidationError',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${messages.join('; ')}`,
    400,
  );
}

function assumeRole(state: SimState, caller: Caller, input: Record<string, unknown>) {
  const roleArn = typeof input.RoleArn === 'string' ? input.RoleArn : '';
  const sessionName = typeof input.RoleSessionName === 'string' ? input.RoleSessionName : '';
  const externalId = typeof input.ExternalId === 'string' ? input.ExternalId : undefined;
  const durationRaw = input.DurationSeconds;

  // request validation, as the service model's constraints report it
  const problems: string[] = [];
  if (!roleArn) problems.push("Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  else if (roleArn.length < 20) {
    problems.push(
      `Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20`,
    );
  }
  if (!sessionName)
    problems.push("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  else {
    if (!SESSION_NAME.test(sessionName)) {
      problems.push(
        `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    if (sessionName.length < 2) {
      problems.push(
        `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2`,
      );
    } else if (sessionName.length > 64) {
      problems.push(
        `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
      );
    }
  }
  let duration = DEFAULT_MAX_SESSION;
  if (durationRaw !== undefined) {
    duration = Number(durationRaw);
    if (!Number.isInteger(duration)) {
      problems.push(
        `Value '${String(durationRaw)}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`,
      );
    } else if (duration < 900) {
      problems.push(
        `Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    } else if (duration > 43200) {
      problems.push(
        `Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`,
      );
    }
  }
  if (externalId !== undefined) {
    if (externalId.length < 2 || externalId.length > 1224) {
      problems.push(
        `Value '${externalId}' at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224`,
      );
    } else if (!EXTERNAL_ID.test(externalId)) {
      problems.push(
        `Value '${externalId}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`,
      );
    }
  }
  if (problems.length) throw validationError(problems);

  const match = ROLE_ARN.exec(roleArn);
  if (!match) throw new SimError('ValidationError', `${roleArn} is invalid`, 400);
  const accountId = match[1]!;
  const roleName = match[2]!;

  const denied = () =>
    new SimError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  const account = state.org.accounts.get(accountId);
  if (state.faults.denyAssume.includes(accountId)) throw denied();
  // an STS outage for these accounts' roles: the 503 a regional endpoint answers when it cannot serve (retried by the
  // SDK)
  if (state.faults.unavailableAssume?.includes(accountId))
    throw new SimError('ServiceUnavailable', 'Service is unable to handle request.', 503);
  if (account && account.status !== 'ACTIVE') throw denied();
  const role = findRole(state, accountId, roleName);
  if (!role || role.arn !== roleArn) throw denied();
  if (!trusts(role, caller, externalId)) throw denied();

  const chained = caller.assumedRole;
  if (chained && duration > CHAINED_MAX_SESSION) {
    throw new SimError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      400,
    );
  }
  const maxSession = role.maxSessionDuration ?? DEFAULT_MAX_SESSION;
  if (duration > maxSession) {
    throw new SimError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      400,
    );
  }

  const now = state.clock.now();
  const creds: Credentials = {
    accessKeyId: `ASIA${randomKey(state, 16)}`,
    secretAccessKey: Buffer.from(state.random.keys.hex(60), 'hex').toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2VjE${Buffer.from(state.random.keys.hex(192), 'hex').toString('base64')}`,
    accountId,
    roleName,
    roleArn,
    sessionName,
    expiresAt: now + duration * 1000,
    issuedAt: now,
    chained,
  };
  state.credentials.set(creds.accessKeyId, creds);
  return {
    Credentials: {
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      SessionToken: creds.sessionToken,
      Expiration: new Date(Math.floor(creds.expiresAt / 1000) * 1000),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${roleIdFor(roleArn)}:${sessionName}`,
      Arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    },
    PackedPolicySize: 0,
  };
}

const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function randomKey(state: SimState, length: number): string {
  const bytes = Buffer.from(state.random.keys.hex(length * 2), 'hex');
  let out = '';
  for (const b of bytes) out += KEY_CHARS[b % KEY_CHARS.length];
  return out;
}

/**
 * A role in an account: one created explicitly (POST /_sim/roles, or by CloudFormation), or the implicit
 * OrganizationAccountAccessRole that every member account of the organisation has.
 */
export function findRole(state: SimState, accountId: string, roleName: string): IamRole | undefined {
  const explicit = state.accounts.get(accountId)?.roles.get(roleName);
  if (explicit) return explicit;
  const account = state.org.accounts.get(accountId);
  if (roleName !== ORG_ACCESS_ROLE || !account || accountId === state.org.managementAccountId) return undefined;
  const arn = `arn:aws:iam::${accountId}:role/${ORG_ACCESS_ROLE}`;
  return {
    roleName: ORG_ACCESS_ROLE,
    roleId: roleIdFor(arn),
    arn,
    path: '/',
    assumeRolePolicyDocument: trustPolicy(state.org.managementAccountId),
    policies: {},
    managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    createDate: account.joinedTimestamp,
  };
}

/** A trust policy that lets `principalAccount` assume the role, optionally only with an external id. */
export function trustPolicy(principalAccount: string, externalId?: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${principalAccount}:root` },
        Action: 'sts:AssumeRole',
        ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
      },
    ],
  };
}

/** POST /_sim/roles: an extra assumable role in an account, trusting the management account. */
export function createAssumableRole(state: SimState, body: Record<string, unknown>): IamRole {
  const account = typeof body.account === 'string' ? body.account : '';
  const roleName = typeof body.roleName === 'string' ? body.roleName : '';
  if (!/^\d{12}$/.test(account)) throw new Error('account must be a 12-digit account id');
  if (!/^[\w+=,.@-]{1,64}$/.test(roleName)) throw new Error('roleName must match [\\w+=,.@-]{1,64}');
  const externalId = typeof body.externalId === 'string' && body.externalId ? body.externalId : undefined;
  const maxSessionDuration = body.maxSessionDuration === undefined ? undefined : Number(body.maxSessionDuration);
  if (
    maxSessionDuration !== undefined &&
    !(Number.isInteger(maxSessionDuration) && maxSessionDuration >= 3600 && maxSessionDuration <= 43200)
  ) {
    throw new Error('maxSessionDuration must be an integer between 3600 and 43200');
  }
  const trusted = typeof body.trustedAccount === 'string' ? body.trustedAccount : state.org.managementAccountId;
  const arn = `arn:aws:iam::${account}:role/${roleName}`;
  const role: IamRole = {
    roleName,
    roleId: roleIdFor(arn),
    arn,
    path: '/',
    assumeRolePolicyDocument: trustPolicy(trusted, externalId),
    policies: {},
    managedPolicyArns: [],
    createDate: state.clock.date().toISOString(),
    maxSessionDuration,
  };
  accountState(state, account).roles.set(roleName, role);
  return role;
}

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Evaluates the role's trust policy for sts:AssumeRole: an Allow statement whose AWS principal names the caller's
 * account (root ARN or bare id), the caller's role, or `*`, and whose sts:ExternalId condition (if any) holds.
 * Service principals never match a user; a Deny that matches wins.
 */
function trusts(role: IamRole, caller: Caller, externalId: string | undefined): boolean {
  let doc = role.assumeRolePolicyDocument;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc) as unknown;
    } catch {
      return false;
    }
  }
  const raw = (doc as { Statement?: unknown } | undefined)?.Statement;
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Statement[];
  const matches = (s: Statement) =>
    actionMatches(s.Action) && principalMatches(s.Principal, caller) && conditionHolds(s.Condition, externalId);
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s));
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function actionMatches(action: unknown): boolean {
  return asList(action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*');
}

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  const aws = asList((principal as { AWS?: unknown } | undefined)?.AWS);
  return aws.some(
    (p) =>
      p === '*' ||
      p === caller.accountId ||
      p === `arn:aws:iam::${caller.accountId}:root` ||
      (caller.roleArn !== undefined && p === caller.roleArn),
  );
}

function conditionHolds(condition: Statement['Condition'], externalId: string | undefined): boolean {
  if (!condition) return true;
  for (const [op, entries] of Object.entries(condition)) {
    for (const [key, value] of Object.entries(entries)) {
      if (key.toLowerCase() !== 'sts:externalid') continue;
      const wanted = asList(value).map(String);
      if (op === 'StringEquals' && (externalId === undefined || !wanted.includes(externalId))) return false;
      if (
        op === 'StringLike' &&
        (externalId === undefined ||
          !wanted.some((w) =>
            new RegExp(
              `^${w
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '.*')
                .replace(/\?/g, '.')}$`,
            ).test(externalId),
          ))
      ) {
        return false;
      }
    }
  }
  return true;
}
