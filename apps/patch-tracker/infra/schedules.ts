/**
 * The fetchers' schedules per environment profile. Prod and staging follow the plan: recent patches
 * hourly, a full refresh daily at 03:00 UTC, discussions weekly on Sundays. Dev runs the same jobs
 * less often and reads fewer pages, so a developer account does not poll kernel.org every hour.
 */
import { Duration } from 'aws-cdk-lib';
import { EnvironmentName, ScheduleDefinition } from '../../../src';

export interface FetchSchedules {
  readonly patches: ScheduleDefinition[];
  readonly discussions: ScheduleDefinition[];
  /** Pages a recent / full run reads at most (per project). */
  readonly maxPagesRecent: number;
  readonly maxPagesFull: number;
}

export function fetchSchedules(environment: EnvironmentName): FetchSchedules {
  const dev = environment === EnvironmentName.DEV;
  return {
    patches: [
      dev
        ? { name: 'recent-patches', rate: Duration.hours(6), input: { mode: 'recent' }, description: 'Patches of the last hours (dev: every 6 hours)' }
        : { name: 'recent-patches', rate: Duration.hours(1), input: { mode: 'recent' }, description: 'Patches of the last hours, hourly' },
      { name: 'full-refresh', cron: '0 3 * * ? *', input: { mode: 'full' }, enabled: !dev, description: 'Full refresh of every project, daily at 03:00 UTC (off in dev)' },
    ],
    discussions: [
      { name: 'weekly-discussions', cron: '0 4 ? * SUN *', input: { mode: 'weekly' }, description: 'Mailing-list threads of the active patches, Sundays at 04:00 UTC' },
    ],
    maxPagesRecent: dev ? 2 : 10,
    maxPagesFull: dev ? 5 : 50,
  };
}
