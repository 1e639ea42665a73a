import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import type { SimServer } from '../server.js';
import { clientConfig, memberIds, startTestSim } from './helpers.js';
import { putFunction } from './sim-resources.js';
import { zipSingleFile } from '../zip.js';
import { warmEnvironments } from '../loop.js';

const REGION = 'us-east-1';
let sim: SimServer;
let mgmt: string;
let client: LambdaClient;

const COUNTER_CODE = `
let calls = 0;
exports.handler = async (event, context) => {
  calls++;
  console.log('called', calls, JSON.stringify(event));
  if (event && event.fail) throw new TypeError('asked to fail');
  return { calls, colour: process.env.COLOUR || null, region: process.env.AWS_REGION, name: context.functionName,
    remaining: context.getRemainingTimeInMillis() > 0 };
};`;

beforeAll(async () => {
  sim = await startTestSim({ accounts: 2 });
  mgmt = sim.state.org.managementAccountId;
  client = new LambdaClient({ ...clientConfig(sim, REGION), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

type SdkError = Error & { Reason?: string; $metadata: { httpStatusCode: number } };
async function caught(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}

const decode = (p?: Uint8Array) =>
  JSON.parse(Buffer.from(p ?? new Uint8Array()).toString('utf8')) as Record<string, unknown>;

describe('Lambda', () => {
  it('GetFunction by name, ARN and partial ARN, with code location and tags', async () => {
    const fn = putFunction(sim, mgmt, REGION, {
      name: 'get-me',
      code: 'exports.handler = async () => 1;',
      environment: { A: '1' },
    });
    for (const id of ['get-me', fn.functionArn, `${mgmt}:function:get-me`, 'get-me:$LATEST']) {
      const out = await client.send(new GetFunctionCommand({ FunctionName: id }));
      expect(out.Configuration?.FunctionArn).toBe(fn.functionArn);
      expect(out.Configuration?.CodeSha256).toBe(fn.codeSha256);
      expect(out.Configuration?.Environment?.Variables).toEqual({ A: '1' });
      expect(out.Configuration?.State).toBe('Active');
      expect(out.Code?.RepositoryType).toBe('S3');
      expect(out.Code?.Location).toMatch(/^https:\/\//);
      expect(out.Tags).toEqual({ app: 'guardrail' });
    }
    const conf = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'get-me' }));
    expect(conf.Handler).toBe('index.handler');
    expect(conf.Timeout).toBe(10);
    expect(conf.RevisionId).toBe(fn.revisionId);
  });

  it('unknown functions and other accounts raise AWS errors', async () => {
    const err = await caught(client.send(new GetFunctionCommand({ FunctionName: 'nope' })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toBe(`Function not found: arn:aws:lambda:${REGION}:${mgmt}:function:nope`);
    expect(err.$metadata.httpStatusCode).toBe(404);
    const other = memberIds(sim)[0]!;
    putFunction(sim, other, REGION, { name: 'theirs', code: 'exports.handler = async () => 1;' });
    const denied = await caught(
      client.send(
        new GetFunctionConfigurationCommand({ FunctionName: `arn:aws:lambda:${REGION}:${other}:function:theirs` }),
      ),
    );
    expect(denied.name).toBe('AccessDeniedException');
    // the same name in another account is invisible
    await expect(client.send(new GetFunctionCommand({ FunctionName: 'theirs' }))).rejects.toThrow(/Function not found/);
  });

  it('UpdateFunctionConfiguration changes settings and bumps RevisionId and LastModified', async () => {
    const fn = putFunction(sim, mgmt, REGION, { name: 'conf', code: 'exports.handler = async () => 1;' });
    const before = fn.revisionId;
    const out = await client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'conf',
        Timeout: 30,
        MemorySize: 256,
        Description: 'changed',
        Environment: { Variables: { MODE: 'monitor' } },
        RevisionId: before,
      }),
    );
    expect(out.Timeout).toBe(30);
    expect(out.MemorySize).toBe(256);
    expect(out.Description).toBe('changed');
    expect(out.Environment?.Variables).toEqual({ MODE: 'monitor' });
    expect(out.RevisionId).not.toBe(before);
    expect(out.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(fn.environment).toEqual({ MODE: 'monitor' });

    await expect(
      client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'conf', Timeout: 5, RevisionId: before })),
    ).rejects.toMatchObject({ name: 'PreconditionFailedException' });
    await expect(
      client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: 'conf',
          Environment: { Variables: { AWS_REGION: 'x' } },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('reserved keys'),
    });
    await expect(
      client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'conf', Timeout: 901 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'conf', Runtime: 'cobol' as 'nodejs20.x' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    expect(fn.timeout).toBe(30);
  });

  it('UpdateFunctionCode unzips the package and sets CodeSha256 from the uploaded bytes', async () => {
    const fn = putFunction(sim, mgmt, REGION, { name: 'code', code: 'exports.handler = async () => "old";' });
    const zip = zipSingleFile('index.js', 'exports.handler = async () => "new";');
    const out = await client.send(new UpdateFunctionCodeCommand({ FunctionName: fn.functionArn, ZipFile: zip }));
    expect(out.CodeSha256).toBe(createHash('sha256').update(zip).digest('base64'));
    expect(out.CodeSize).toBe(zip.length);
    expect(fn.code).toBe('exports.handler = async () => "new";');
    const res = await client.send(new InvokeCommand({ FunctionName: 'code' }));
    expect(decode(res.Payload)).toBe('new');
    await expect(
      client.send(new UpdateFunctionCodeCommand({ FunctionName: 'code', ZipFile: Buffer.from('not a zip') })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    // a package without the handler's file is accepted; invoking it fails to import
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: 'code', ZipFile: zipSingleFile('other.js', 'x') }));
    const broken = await client.send(new InvokeCommand({ FunctionName: 'code' }));
    expect(broken.FunctionError).toBe('Unhandled');
    expect(decode(broken.Payload).errorType).toBe('Runtime.ImportModuleError');
  });

  it('Invoke runs the code in a warm environment that is recycled when the configuration changes', async () => {
    const fn = putFunction(sim, mgmt, REGION, { name: 'counter', code: COUNTER_CODE, environment: { COLOUR: 'red' } });
    const first = await client.send(
      new InvokeCommand({ FunctionName: 'counter', Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }),
    );
    expect(first.StatusCode).toBe(200);
    expect(decode(first.Payload)).toEqual({
      calls: 1,
      colour: 'red',
      region: REGION,
      name: 'counter',
      remaining: true,
    });
    expect(Buffer.from(first.LogResult ?? '', 'base64').toString()).toContain('called 1 {"n":1}');
    const second = await client.send(new InvokeCommand({ FunctionName: 'counter', Payload: Buffer.from('{}') }));
    expect(decode(second.Payload).calls).toBe(2);
    expect(warmEnvironments(sim.state, fn.functionArn)).toBe(1);

    await client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'counter',
        Environment: { Variables: { COLOUR: 'blue' } },
      }),
    );
    const third = await client.send(new InvokeCommand({ FunctionName: 'counter', Payload: Buffer.from('{}') }));
    expect(decode(third.Payload)).toMatchObject({ calls: 1, colour: 'blue' });
    expect(warmEnvironments(sim.state, fn.functionArn)).toBe(1);

    const failed = await client.send(
      new InvokeCommand({ FunctionName: 'counter', Payload: Buffer.from('{"fail":true}') }),
    );
    expect(failed.FunctionError).toBe('Unhandled');
    expect(decode(failed.Payload)).toEqual({ errorType: 'TypeError', errorMessage: 'asked to fail' });
    const recorded = sim.state.accounts
      .get(mgmt)!
      .regions.get(REGION)!
      .invocations.filter((i) => i.functionArn === fn.functionArn);
    expect(recorded.map((i) => i.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed']);
  });

  it('enforces the function timeout', async () => {
    putFunction(sim, mgmt, REGION, {
      name: 'sleepy',
      timeout: 1,
      code: 'exports.handler = () => new Promise(() => {});',
    });
    const started = Date.now();
    const out = await client.send(new InvokeCommand({ FunctionName: 'sleepy' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringContaining('Task timed out after 1.00 seconds'),
    });
  });

  it('GetPolicy and ListFunctions', async () => {
    const fn = putFunction(sim, mgmt, REGION, {
      name: 'with-policy',
      code: 'exports.handler = async () => 1;',
      allowRule: `arn:aws:events:${REGION}:${mgmt}:rule/r1`,
    });
    const policy = JSON.parse(
      (await client.send(new GetPolicyCommand({ FunctionName: 'with-policy' }))).Policy ?? '{}',
    ) as { Statement: Record<string, unknown>[] };
    expect(policy.Statement[0]).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: fn.functionArn,
    });
    await expect(client.send(new GetPolicyCommand({ FunctionName: 'get-me' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    const list = await client.send(new ListFunctionsCommand({}));
    expect(list.Functions?.map((f) => f.FunctionName)).toContain('with-policy');
  });

  it('throttles with TooManyRequestsException (429, CallerRateLimitExceeded)', async () => {
    sim.state.faults.throttleRate = 1;
    try {
      const err = await caught(client.send(new GetFunctionCommand({ FunctionName: 'get-me' })));
      expect(err.name).toBe('TooManyRequestsException');
      expect(err.Reason).toBe('CallerRateLimitExceeded');
      expect(err.$metadata.httpStatusCode).toBe(429);
    } finally {
      sim.state.faults.throttleRate = 0;
    }
  });
});
