// IAM (awsQuery, API version 2010-05-08, signing name "iam", a global service the SDK signs for us-east-1):
// CreateRole, GetRole, DeleteRole. Roles live in the caller's account (AccountState.roles), where STS AssumeRole finds
// them (sts.ts findRole), so a role created here can be assumed under its trust policy. Errors are IAM's:
// EntityAlreadyExists 409, NoSuchEntity 404, MalformedPolicyDocument 400, ValidationError 400.
import { SimError, type Service } from '../types.js';
import { accountState, type IamRole, type SimState } from '../state.js';
import { roleIdFor } from '../server.js';
import { findRole, ORG_ACCESS_ROLE } from './sts.js';

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const PATH = /^\/(?:[\x21-\x7e]*\/)?$/;

export const iam: Service = {
  name: 'iam',
  protocol: 'query',
  xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
  throttle: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
  handle(ctx, req) {
    const account = req.caller.accountId;
    const input = req.input;
    switch (req.operation) {
      case 'CreateRole':
        return { Role: roleShape(createRole(ctx.state, account, input)) };
      case 'GetRole':
        return { Role: roleShape(getRole(ctx.state, account, input.RoleName)) };
      case 'DeleteRole': {
        const role = getRole(ctx.state, account, input.RoleName);
        if (role.roleName === ORG_ACCESS_ROLE && !ctx.state.accounts.get(account)?.roles.has(role.roleName)) {
          // the implicit role: deleting it would change every test that assumes it; refuse rather than pretend
          throw new SimError(
            'UnmodifiableEntity',
            `Cannot perform the operation on the protected role '${role.roleName}' in the simulator.`,
            400,
          );
        }
        accountState(ctx.state, account).roles.delete(role.roleName);
        return {};
      }
      default:
        throw new SimError('InvalidAction', `Could not find operation ${req.operation} for version 2010-05-08`, 400);
    }
  },
};

function validation(message: string): SimError {
  return new SimError('ValidationError', `1 validation error detected: ${message}`, 400);
}

function roleName(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '')
    throw validation("Value null at 'roleName' failed to satisfy constraint: Member must not be null");
  if (!ROLE_NAME.test(raw)) {
    throw validation(
      `Value '${raw}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  }
  return raw;
}

function getRole(state: SimState, account: string, raw: unknown): IamRole {
  const name = roleName(raw);
  const role = findRole(state, account, name);
  if (!role) throw new SimError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role;
}

function createRole(state: SimState, account: string, input: Record<string, unknown>): IamRole {
  const name = roleName(input.RoleName);
  const path = typeof input.Path === 'string' && input.Path !== '' ? input.Path : '/';
  if (path.length > 512 || !PATH.test(path)) {
    throw validation(
      `Value '${path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)`,
    );
  }
  const docText = input.AssumeRolePolicyDocument;
  if (typeof docText !== 'string' || docText === '') {
    throw validation("Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null");
  }
  let doc: unknown;
  try {
    doc = JSON.parse(docText);
  } catch {
    throw new SimError('MalformedPolicyDocument', 'This policy contains invalid Json', 400);
  }
  const statements = (doc as { Statement?: unknown } | null)?.Statement;
  if (typeof doc !== 'object' || doc === null || statements === undefined) {
    throw new SimError('MalformedPolicyDocument', 'Syntax errors in policy.', 400);
  }
  let maxSessionDuration: number | undefined;
  if (input.MaxSessionDuration !== undefined) {
    maxSessionDuration = Number(input.MaxSessionDuration);
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
      throw validation(
        `Value '${String(input.MaxSessionDuration)}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
      );
    }
  }
  // role names are unique in an account whatever their path, and case-insensitively
  const existing =
    findRole(state, account, name) ??
    [...(state.accounts.get(account)?.roles.values() ?? [])].find(
      (r) => r.roleName.toLowerCase() === name.toLowerCase(),
    );
  if (existing) throw new SimError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
  const arn = `arn:aws:iam::${account}:role${path}${name}`;
  const role: IamRole = {
    roleName: name,
    roleId: roleIdFor(arn),
    arn,
    path,
    assumeRolePolicyDocument: doc,
    policies: {},
    managedPolicyArns: [],
    createDate: state.clock.date().toISOString(),
    ...(maxSessionDuration !== undefined ? { maxSessionDuration } : {}),
  };
  accountState(state, account).roles.set(name, role);
  return role;
}

function roleShape(role: IamRole): Record<string, unknown> {
  const doc =
    typeof role.assumeRolePolicyDocument === 'string'
      ? role.assumeRolePolicyDocument
      : JSON.stringify(role.assumeRolePolicyDocument);
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    // IAM returns the trust policy URL-encoded
    AssumeRolePolicyDocument: encodeURIComponent(doc),
    MaxSessionDuration: role.maxSessionDuration ?? 3600,
  };
}
