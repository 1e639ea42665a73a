// Which CodeSha256 a deployed function should have. CloudFormation drift ignores a function's code, so status
// compares the code hash Lambda reports with a reference:
//
// - The local bundle's hash (stack/code-hash.ts builds the archive CloudFormation builds from inline code), when at
//   least one function at the current template version has it: the endpoint archives as we do, so any function
//   with another hash runs other code. Functions at older template versions are compared with it too (their code is
//   older unless the code did not change between the versions).
// - Otherwise the endpoint builds its archive differently (another emulator, a changed zip library), and the local
//   hash says nothing. Then each function is compared only with the functions at its own template version: with
//   the hash a strict majority of them agree on. The current version's agreement is "the current bundle" on this
//   endpoint. A function is never judged by stacks at another version: a freshly created function is not called
//   different because most stacks still hold an older version. A version whose functions have no majority (two
//   stacks, two hashes) falls back to the local hash, so a disagreement is reported rather than hidden.
//   The limit: when every function at the current version was replaced by the same other code, that code is taken
//   as the reference. The report says which reference it used (`codeReference`).

export interface CodeSample {
  /** the stack's template version tag (null or absent when it has none) */
  templateVersion?: string | null;
  /** the function's CodeSha256 as Lambda reports it (null or absent when it could not be read) */
  codeSha256?: string | null;
}

export interface CodeReferences {
  reference: 'local bundle' | 'agreement of current stacks';
  /** the hash a function at the current template version should have */
  currentSha: string;
  /** the hash a function in a stack at `templateVersion` should have */
  expectedFor(templateVersion: string | null | undefined): string;
}

export function codeReferences(
  samples: readonly CodeSample[],
  currentVersion: string,
  localSha: string,
): CodeReferences {
  const local: CodeReferences = { reference: 'local bundle', currentSha: localSha, expectedFor: () => localSha };
  const known = samples.filter(
    (s): s is { templateVersion: string; codeSha256: string } =>
      typeof s.templateVersion === 'string' && typeof s.codeSha256 === 'string',
  );
  const current = known.filter((s) => s.templateVersion === currentVersion);
  if (current.length === 0 || current.some((s) => s.codeSha256 === localSha)) return local;

  const byVersion = new Map<string, string[]>();
  for (const s of known) byVersion.set(s.templateVersion, [...(byVersion.get(s.templateVersion) ?? []), s.codeSha256]);
  const agreed = new Map<string, string>();
  for (const [version, hashes] of byVersion) {
    const majority = strictMajority(hashes);
    if (majority !== undefined) agreed.set(version, majority);
  }
  const currentSha = agreed.get(currentVersion);
  if (currentSha === undefined) return local;
  return {
    reference: 'agreement of current stacks',
    currentSha,
    expectedFor: (version) => (typeof version === 'string' ? agreed.get(version) : undefined) ?? localSha,
  };
}

/** The value more than half of `values` share, if any. */
function strictMajority(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const [value, n] of counts) if (n > values.length / 2) return value;
  return undefined;
}
