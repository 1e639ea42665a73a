// substituteInSubs on small templates: the stack set's `${AWS::StackName}` → `<stackName>-set`, and a Sub left with
// no `${…}` written as the plain string (cfn-lint W1020).
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseCfnYaml } from '../../src/stack/cfn-yaml.js';
import { needsSub, substitute, substituteInSubs } from '../../src/stack/sub.js';
import { CFN_YAML_TAGS } from '../../src/stack/template.js';

const VALUES = { 'AWS::StackName': 'guardrail-set' };

/** the snippet after substitution, written as the renderer writes the template */
function render(yaml: string): { text: string; changed: number } {
  const doc = parseDocument(yaml, { customTags: CFN_YAML_TAGS });
  expect(doc.errors).toEqual([]);
  const changed = substituteInSubs(doc, VALUES);
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq: false }), changed };
}

describe('substituteInSubs', () => {
  it('a Sub left with no variable becomes the plain string, in its quoting', () => {
    expect(render("Name: !Sub '${AWS::StackName}-sg-changes'\n")).toEqual({
      text: "Name: 'guardrail-set-sg-changes'\n",
      changed: 1,
    });
    expect(render('Name: !Sub "${AWS::StackName}"\n').text).toBe('Name: "guardrail-set"\n');
    expect(render('Name: !Sub ${AWS::StackName}-x\n').text).toBe('Name: guardrail-set-x\n');
  });

  it('a Sub that still has a variable stays a Sub, with the name substituted', () => {
    const { text, changed } = render(
      "Arn: !Sub 'arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/${AWS::StackName}-trail'\n",
    );
    expect(text).toBe(
      "Arn: !Sub 'arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/guardrail-set-trail'\n",
    );
    expect(changed).toBe(1);
    expect(render("A: !Sub '${Bucket.Arn}/${AWS::StackName}'\n").text).toBe("A: !Sub '${Bucket.Arn}/guardrail-set'\n");
  });

  it('`${!Name}` is an escape, not a variable: never substituted, and a Sub that keeps one stays a Sub', () => {
    // only the escape left: Sub still turns ${!x} into the literal ${x}, so the Sub stays (a plain '${x}' is E1029)
    expect(render("A: !Sub '${AWS::StackName}-${!Literal}'\n").text).toBe("A: !Sub 'guardrail-set-${!Literal}'\n");
    // the escaped stack name is the literal text ${AWS::StackName}, not the stack's name
    expect(render("A: !Sub '${!AWS::StackName}-${AWS::StackName}'\n").text).toBe(
      "A: !Sub '${!AWS::StackName}-guardrail-set'\n",
    );
    expect(render("A: !Sub 'x-${!AWS::StackName}'\n")).toEqual({
      text: "A: !Sub 'x-${!AWS::StackName}'\n",
      changed: 0,
    });
  });

  it('the list form: an empty or absent variable map becomes the plain string; a map with variables keeps the Sub', () => {
    expect(render("A: !Sub ['${AWS::StackName}-x', {}]\n").text).toBe("A: 'guardrail-set-x'\n");
    expect(render("A: !Sub ['${AWS::StackName}-x']\n").text).toBe("A: 'guardrail-set-x'\n");
    expect(render('A: !Sub\n- ${AWS::StackName}-x\n- {}\n').text).toBe('A: guardrail-set-x\n');
    expect(render("A: !Sub ['${AWS::StackName}-${Suffix}', {Suffix: !Ref Name}]\n").text).toBe(
      "A: !Sub ['guardrail-set-${Suffix}', {Suffix: !Ref Name}]\n",
    );
    // a variable map that names no variable the string still uses is kept: what to do with it is the author's call
    expect(render("A: !Sub ['${AWS::StackName}-x', {Suffix: y}]\n").text).toBe(
      "A: !Sub ['guardrail-set-x', {Suffix: y}]\n",
    );
  });

  it("a list form's variable values are literal, and a Sub among them is a Sub of its own", () => {
    const { text, changed } = render(
      "A: !Sub ['${Name}-x', {Name: '${AWS::StackName}', Other: !Sub '${AWS::StackName}-y'}]\n",
    );
    expect(text).toBe("A: !Sub ['${Name}-x', {Name: '${AWS::StackName}', Other: 'guardrail-set-y'}]\n");
    expect(changed).toBe(1);
  });

  it('the long form Fn::Sub, as a string and as a list', () => {
    expect(parseCfnYaml(render("A:\n  Fn::Sub: '${AWS::StackName}-x'\n").text)).toEqual({ A: 'guardrail-set-x' });
    expect(parseCfnYaml(render("A: {'Fn::Sub': ['${AWS::StackName}-x', {}]}\n").text)).toEqual({
      A: 'guardrail-set-x',
    });
    expect(parseCfnYaml(render("A:\n  Fn::Sub: 'arn:${AWS::Region}:${AWS::StackName}'\n").text)).toEqual({
      A: { 'Fn::Sub': 'arn:${AWS::Region}:guardrail-set' },
    });
    // a map with more than the one key is no Fn::Sub
    expect(render("A: {'Fn::Sub': '${AWS::StackName}', B: 1}\n").changed).toBe(0);
  });

  it("leaves what is not a Sub's string alone: plain strings, other intrinsics, a Sub it does not change", () => {
    const yaml = [
      "Plain: '${AWS::StackName}-literal'",
      'Ref: !Ref AWS::StackName',
      "Join: !Join ['-', [!Ref AWS::StackName, x]]",
      "NoVar: !Sub 'already-plain'",
      "Other: !Sub '${AWS::Region}-x'",
      '',
    ].join('\n');
    expect(render(yaml)).toEqual({ text: yaml, changed: 0 });
  });

  it('substitute and needsSub: exact names only, escapes count as needing Sub', () => {
    expect(substitute('${AWS::StackName}${ AWS::StackName }${!AWS::StackName}${AWS::StackNameX}', VALUES)).toBe(
      'guardrail-set${ AWS::StackName }${!AWS::StackName}${AWS::StackNameX}',
    );
    expect(substitute('${toString}${constructor}', VALUES)).toBe('${toString}${constructor}');
    expect(needsSub('a-b')).toBe(false);
    expect(needsSub('a-${B}')).toBe(true);
    expect(needsSub('a-${!B}')).toBe(true);
  });
});
