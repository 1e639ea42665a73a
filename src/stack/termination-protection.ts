// CloudFormation termination protection on guardrail's stacks: on by default (protection.terminationProtection),
// turned back on by deploy when someone turned it off, and lifted by remove right before it deletes a stack.
import { UpdateTerminationProtectionCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';

export async function setTerminationProtection(
  cfn: CloudFormationClient,
  stackId: string,
  enable: boolean,
): Promise<void> {
  await cfn.send(new UpdateTerminationProtectionCommand({ StackName: stackId, EnableTerminationProtection: enable }));
}

/** The plan's reason when only termination protection differs from the configuration. */
export function protectionReason(enable: boolean): string {
  return enable
    ? 'termination protection is off: turn it back on'
    : 'termination protection is on: turn it off (protection.terminationProtection: false)';
}
