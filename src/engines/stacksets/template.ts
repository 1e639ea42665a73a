// The stack set's template: the same template as the direct engine's, with resource names built from
// `<stackName>-set` instead of the stack's name. Instance stacks are named StackSet-<name>-<uuid> (55 characters for
// "guardrail"), which would push the rule's name past EventBridge's 64, and distinct names let an instance and a
// direct stack stand side by side in one account while engines are switched (new before old).
import type { GuardrailConfig } from '../../config/index.js';
import {
  loadFunctionCode,
  loadTemplateSource,
  renderTemplate,
  VERSION_TAG,
  type RenderedTemplate,
} from '../../stack/template.js';
import { templateSettings } from '../render.js';

export function namePrefix(stackName: string): string {
  return `${stackName}-set`;
}

/** `callerAccount` places the approval store when approvals.account is unset, as for the direct engine. */
export async function renderForStackSet(config: GuardrailConfig, callerAccount?: string): Promise<RenderedTemplate> {
  const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
  // on the parsed template, so only Sub strings change, and a Sub left with no variable is the plain string (W1020)
  return renderTemplate(source, code, templateSettings(config, callerAccount), {
    subValues: { 'AWS::StackName': namePrefix(config.stackName) },
  });
}

export { VERSION_TAG };
