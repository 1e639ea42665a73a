import type { Service } from '../types.js';
import { organizations } from './organizations.js';
import { sts } from './sts.js';
import { ec2 } from './ec2.js';
import { cloudformation } from './cloudformation.js';
import { lambda } from './lambda.js';
import { events } from './events.js';
import { cloudtrail } from './cloudtrail.js';
import { sns } from './sns.js';
import { dynamodb } from './dynamodb.js';
import { logs } from './logs.js';
import { iam } from './iam.js';
import { sqs } from './sqs.js';
import { config } from './config.js';
import { s3 } from './s3.js';

/** Every service the simulator speaks, by SigV4 signing name. */
export function allServices(): Service[] {
  return [
    organizations,
    sts,
    ec2,
    cloudformation,
    lambda,
    events,
    cloudtrail,
    sns,
    dynamodb,
    logs,
    iam,
    sqs,
    config,
    s3,
  ];
}
