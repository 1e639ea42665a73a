// Substituting a value for a variable inside the template's Fn::Sub strings, on the parsed YAML document: the stack
// set's template names its resources from a fixed `<stackName>-set` instead of ${AWS::StackName}. A Sub that is left
// with no `${…}` at all becomes the plain string (cfn-lint W1020: "Fn::Sub isn't needed because there are no
// variables"). `${!Name}` is Sub's escape for the literal text `${Name}`, not a variable: it is never substituted,
// and a Sub that still holds one stays a Sub (a plain string has no escapes, and `${Name}` outside a Sub is what
// cfn-lint's E1029 reports).
import { isMap, isScalar, isSeq, Scalar, visit, type Document, type Node } from 'yaml';

const SUB_TAG = '!Sub';
const LONG_FORM = 'Fn::Sub';

/**
 * `${Name}` for each name in `values` becomes its value, in every Sub's string (short form `!Sub s`, `!Sub [s, vars]`
 * and the long form `Fn::Sub`); strings outside a Sub are literal to CloudFormation and stay as they are, and so do a
 * list form's variable values (a Sub among them is a Sub of its own and is visited as one). A Sub whose string this
 * changes, that is left without `${`, and that has no variable map (or an empty one) becomes the plain string.
 * Returns how many Subs it changed.
 */
export function substituteInSubs(doc: Document, values: Readonly<Record<string, string>>): number {
  let changed = 0;
  const rewrite = (sub: Node | null | undefined): Scalar | undefined => {
    const parts = sub ? subParts(sub) : null;
    if (parts === null) return undefined;
    const { format, vars } = parts;
    const replaced = substitute(format.value as string, values);
    if (replaced === format.value) return undefined;
    changed += 1;
    const noVars = vars === undefined || (isMap(vars) && vars.items.length === 0);
    if (needsSub(replaced) || !noVars) {
      format.value = replaced;
      return undefined;
    }
    const plain = new Scalar(replaced);
    plain.type = format.type;
    return plain;
  };
  visit(doc, {
    Scalar: (_key, node) => (node.tag === SUB_TAG ? rewrite(node) : undefined),
    Seq: (_key, node) => (node.tag === SUB_TAG ? rewrite(node) : undefined),
    // the long form, `{ Fn::Sub: s }` or `{ Fn::Sub: [s, vars] }`: the whole map becomes the string
    Map: (_key, node) => {
      const only = node.items.length === 1 ? node.items[0]! : null;
      return only && isScalar(only.key) && only.key.value === LONG_FORM
        ? rewrite(only.value as Node | null)
        : undefined;
    },
  });
  return changed;
}

/** The format string's node and the variable map of a Sub's value (`s`, `[s]`, `[s, vars]`), or null. */
function subParts(sub: Node): { format: Scalar; vars: unknown } | null {
  if (isScalar(sub)) return typeof sub.value === 'string' ? { format: sub, vars: undefined } : null;
  if (isSeq(sub) && (sub.items.length === 1 || sub.items.length === 2)) {
    const [format, vars] = sub.items;
    return isScalar(format) && typeof format.value === 'string' ? { format, vars } : null;
  }
  return null;
}

/** `${name}` → value for each name given; `${!name}` (the escape) and every other `${…}` stay as they are. */
export function substitute(format: string, values: Readonly<Record<string, string>>): string {
  return format.replace(/\$\{([^}]*)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name]! : whole,
  );
}

/** Whether a Sub's string still needs Sub: a variable `${Name}`, or an escape `${!Name}` that only Sub unescapes. */
export function needsSub(format: string): boolean {
  return format.includes('${');
}
