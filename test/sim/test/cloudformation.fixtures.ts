// Shared by the CloudFormation simulator tests: templates and polling through the real SDK client.
import {
  CloudFormationClient,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  DescribeStackEventsCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';

/**
 * A guardrail-shaped stack: role, function, rule, permission, invoke config, log group, topic, trail and its bucket.
 */
export const GUARDRAIL_TEMPLATE = `
AWSTemplateFormatVersion: '2010-09-09'
Description: guardrail test stack
Parameters:
  Mode:
    Type: String
    Default: enforce
    AllowedValues: [enforce, monitor]
  Retention:
    Type: Number
    Default: 14
Resources:
  FunctionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { Service: lambda.amazonaws.com }
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:\${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
      Policies:
        - PolicyName: revoke
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: ec2:RevokeSecurityGroupIngress
                Resource: '*'
  Function:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub guardrail-\${AWS::Region}
      Runtime: nodejs20.x
      Handler: index.handler
      Role: !GetAtt FunctionRole.Arn
      Timeout: 30
      MemorySize: 256
      Environment:
        Variables:
          GUARDRAIL_MODE: !Ref Mode
      Code:
        ZipFile: |
          exports.handler = async (event) => ({ ok: true, id: event.id });
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /aws/lambda/\${Function}
      RetentionInDays: !Ref Retention
  Rule:
    Type: AWS::Events::Rule
    Properties:
      Name: guardrail-rule
      State: ENABLED
      EventPattern:
        source: [aws.ec2]
        detail-type: [AWS API Call via CloudTrail]
        detail:
          eventName: [AuthorizeSecurityGroupIngress]
      Targets:
        - Id: fn
          Arn: !GetAtt Function.Arn
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Function
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Rule.Arn
  InvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Function
      Qualifier: $LATEST
      MaximumRetryAttempts: 1
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: guardrail alerts
  TrailBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
  TrailBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref TrailBucket
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: cloudtrail.amazonaws.com }
            Action: s3:PutObject
            Resource: !Sub \${TrailBucket.Arn}/*
  Trail:
    Type: AWS::CloudTrail::Trail
    DependsOn: TrailBucketPolicy
    Properties:
      S3BucketName: !Ref TrailBucket
      IsLogging: true
      IsMultiRegionTrail: false
Outputs:
  FunctionArn:
    Value: !GetAtt Function.Arn
  TopicArn:
    Value: !Ref Topic
  Version:
    Value: v1
`;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls DescribeStacks until the status is no longer *_IN_PROGRESS; returns the distinct statuses seen, in order.
 * The deadline is generous (a loaded machine polls slowly): it bounds a wait, it does not measure speed.
 */
export async function waitForStack(
  cfn: CloudFormationClient,
  stackName: string,
  timeoutMs = 20_000,
): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const status = out.Stacks?.[0]?.StackStatus ?? 'NONE';
    if (seen[seen.length - 1] !== status) seen.push(status);
    if (!status.endsWith('_IN_PROGRESS')) return seen;
    if (Date.now() > deadline) throw new Error(`stack ${stackName} still ${status}: seen ${seen.join(' → ')}`);
    await sleep(3);
  }
}

/** Polls DescribeChangeSet until it leaves CREATE_PENDING / CREATE_IN_PROGRESS (generous deadline, as above). */
export async function waitForChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  changeSetName: string,
  timeoutMs = 20_000,
): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
    const status = out.Status ?? 'NONE';
    if (seen[seen.length - 1] !== status) seen.push(status);
    if (status !== 'CREATE_PENDING' && status !== 'CREATE_IN_PROGRESS') return seen;
    await sleep(3);
  }
  throw new Error('change set never settled');
}

/** Every event of a stack, oldest first. */
export async function allEvents(cfn: CloudFormationClient, stackName: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let token: string | undefined;
  do {
    const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }));
    events.push(...(out.StackEvents ?? []));
    token = out.NextToken;
  } while (token);
  return events.reverse();
}

/** The stack-level statuses of the events, oldest first. */
export function stackStatuses(events: StackEvent[]): string[] {
  return events.filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack').map((e) => e.ResourceStatus ?? '');
}

/** True when `sub` appears in `seq` in order (not necessarily contiguously). */
export function isSubsequence(sub: string[], seq: string[]): boolean {
  let i = 0;
  for (const s of seq) if (s === sub[i]) i++;
  return i === sub.length;
}
