// Planning ahead of the window: when a target starts, the next `width` targets' plans (read-only calls) start too,
// so they overlap the stacks in flight and a freed slot goes straight to its change. At most `width` plans run
// ahead; planning in the slot instead cost every slot its round trips (about 8 % of a 0.5-second stack).

export interface PlanAhead<P> {
  /** starts the plans of the `width` items from `from` on (those not started yet) */
  prefetch(from: number): void;
  /** the plan of item `i` (started now if it was not), prefetching the items after it */
  take(i: number): Promise<P>;
}

/** `list` holds items already planned (P) and items still to plan (T); `isDone` tells them apart. */
export function planAhead<T, P>(
  list: readonly (P | T)[],
  width: number,
  isDone: (item: P | T) => item is P,
  plan: (item: T) => Promise<P>,
  signal: AbortSignal,
): PlanAhead<P> {
  const started = new Map<number, Promise<P>>();
  const get = (i: number): Promise<P> => {
    const item = list[i]!;
    if (isDone(item)) return Promise.resolve(item);
    let p = started.get(i);
    if (!p) {
      p = plan(item);
      started.set(i, p);
    }
    return p;
  };
  const prefetch = (from: number) => {
    if (signal.aborted) return;
    for (let j = from; j < Math.min(list.length, from + width); j++) void get(j);
  };
  return {
    prefetch,
    take: (i) => {
      prefetch(i + 1);
      const p = get(i);
      started.delete(i);
      return p;
    },
  };
}
