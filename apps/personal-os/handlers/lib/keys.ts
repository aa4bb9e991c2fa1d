/**
 * Item layout of the single table. Every item of a user sits in that user's partition:
 *
 *   pk USER#<userId>   sk TASK#<ulid>                            a task
 *                      sk GOAL#<ulid>                            a goal (progress cached on it)
 *                      sk HABIT#<ulid>                           a habit (streaks cached on it)
 *                      sk HABITLOG#<habitId>#<YYYY-MM-DD>        one day's habit log (one per day)
 *                      sk METRIC#<ulid>                          a metric
 *                      sk METRICLOG#<metricId>#<ISO time>#<ulid> one measurement, time-sorted
 *                      sk MILESTONE#<metricId>#<kind>            a milestone reached (once per kind)
 *                      sk WALLET                                 the points balance
 *                      sk LEDGER#<ulid>                          one points movement, time-sorted
 *
 * Index keys carry the user too: statusKey `USER#<id>#TASK#<status>`, areaKey `USER#<id>#AREA#<area>`.
 */
export type ItemType = 'TASK' | 'GOAL' | 'HABIT' | 'METRIC';

export const userPk = (userId: string): string => `USER#${userId}`;
export const itemSk = (type: ItemType, id: string): string => `${type}#${id}`;
export const habitLogSk = (habitId: string, date: string): string => `HABITLOG#${habitId}#${date}`;
export const habitLogPrefix = (habitId: string): string => `HABITLOG#${habitId}#`;
export const metricLogPrefix = (metricId: string): string => `METRICLOG#${metricId}#`;
export const milestoneSk = (metricId: string, kind: string): string => `MILESTONE#${metricId}#${kind}`;
export const milestonePrefix = (metricId: string): string => `MILESTONE#${metricId}#`;
export const WALLET_SK = 'WALLET';
export const LEDGER_PREFIX = 'LEDGER#';

export const statusKey = (userId: string, type: ItemType, status: string): string => `${userPk(userId)}#${type}#${status}`;
export const areaKey = (userId: string, area: string | undefined): string | undefined => (area === undefined ? undefined : `${userPk(userId)}#AREA#${area}`);

export const INDEX = { byStatus: 'ByStatus', byArea: 'ByArea' } as const;

/** The attributes clients never see (keys and index keys). */
export function publicView<T extends Record<string, unknown>>(item: T): Omit<T, 'pk' | 'sk' | 'statusKey' | 'areaKey'> {
  const { pk: _pk, sk: _sk, statusKey: _s, areaKey: _a, ...rest } = item;
  return rest;
}
