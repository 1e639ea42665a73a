// Fakes of the two sources of a modified rule's previous definition: guardrail's records and AWS Config's history.
import type { GroupCapture, HistoryPort } from '../src/config-history.js';
import type { RecordsPort, RuleRecord } from '../src/rule-records.js';

export class FakeRecords implements RecordsPort {
  items = new Map<string, RuleRecord>();
  calls: string[] = [];
  failGet: Error[] = [];
  failPut: Error[] = [];

  static key = (groupId: string, ruleId: string) => `${groupId}/${ruleId}`;

  seed(...records: RuleRecord[]): this {
    for (const r of records) this.items.set(FakeRecords.key(r.groupId, r.ruleId), r);
    return this;
  }

  async get(groupId: string, ruleId: string): Promise<RuleRecord | undefined> {
    this.calls.push(`get ${ruleId}`);
    const err = this.failGet.shift();
    if (err) throw err;
    return this.items.get(FakeRecords.key(groupId, ruleId));
  }

  /** As the table's condition does it: a record never replaces one seen later. */
  async put(records: RuleRecord[]): Promise<void> {
    this.calls.push(`put ${records.map((r) => r.ruleId).join(',')}`);
    const err = this.failPut.shift();
    if (err) throw err;
    for (const r of records) {
      const k = FakeRecords.key(r.groupId, r.ruleId);
      const had = this.items.get(k);
      if (!had || had.seenAt <= r.seenAt) this.items.set(k, r);
    }
  }
}

export class FakeHistory implements HistoryPort {
  calls: { groupId: string; at: string; eventId?: string }[] = [];
  constructor(public answer: GroupCapture | { none: string } = { none: 'AWS Config does not record the group' }) {}

  async groupBefore(groupId: string, at: Date, eventId?: string): Promise<GroupCapture | { none: string }> {
    this.calls.push({ groupId, at: at.toISOString(), eventId });
    return this.answer;
  }
}
