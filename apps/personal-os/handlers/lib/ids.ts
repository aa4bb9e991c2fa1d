import { monotonicFactory } from 'ulid';

// Monotonic: ids made in the same millisecond still sort in creation order.
const next = monotonicFactory();

/** A new ULID: unique, time-sortable (sort keys of tasks, ledger entries and logs sort by creation). */
export const newId = (): string => next();
