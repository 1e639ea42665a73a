// The closed loop: a CloudTrail record → EventBridge envelope → matching enabled rules → the target function's own
// code, invoked asynchronously in a worker with its environment and its account's credentials.
import type { ServiceContext } from './types.js';

/**
 * Called by a service after a successful mutating call (EC2 Authorize*, ModifySecurityGroupRules).
 * `record` is the CloudTrail record (what EventBridge puts under `detail`). Never throws, never blocks the caller.
 */
export function emitCloudTrailEvent(_ctx: ServiceContext, _accountId: string, _region: string, _record: Record<string, unknown>): void {
  // placeholder: replaced by the real implementation
}
