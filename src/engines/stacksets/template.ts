// The stack set's template: the same template as the direct engine's, with resource names built from
// `<stackName>-set` instead of the stack's name. Instance stacks are named StackSet-<name>-<uuid> (55 characters for
// "guardrail"), which would push the rule's name past EventBridge's 64, and distinct names let an instance and a
// direct stack stand side by side in one account while engines are switched (new before old).
import type { GuardrailConfig } from '../../config/index.js';
import { loadFunctionCode, loadTemplateSource, renderTemplate, VERSION_TAG, type RenderedTemplate } from '../../stack/template.js';
import { templateSettings } from '../render.js';

export function namePrefix(stackName: string): string {
  return `${stackName}-set`;
}

export async function renderForStackSet(config: GuardrailConfig): Promise<RenderedTemplate> {
  const [source, code] = await Promise.all([loadTemplateSource(), loadFunctionCode()]);
  const named = source.split('${AWS::StackName}').join(namePrefix(config.stackName));
  return renderTemplate(named, code, templateSettings(config));
}

export { VERSION_TAG };
