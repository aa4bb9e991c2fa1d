import { Duration, Stack, StackProps, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { APP_DIR, handlerEnvironment } from './app-settings';
import { fetchSchedules } from './schedules';
import { AlarmSet, EnhancedLambdaFunction, EnvironmentConfig, ScheduledJob, SecureTable } from '../../../src';
import { bundledHandlerCode } from '../../kit/infra/handler-code';

export interface PatchTrackerFetchStackProps extends StackProps {
  readonly alarmTopic: sns.ITopic;
  readonly patches: SecureTable;
  readonly discussions: SecureTable;
  /**
   * Patchwork projects to track (link names).
   * @default ['netdevbpf', 'linux-arm-kernel']
   */
  readonly projects?: string[];
  /** @default 'https://patchwork.kernel.org' */
  readonly patchworkUrl?: string;
  /** @default 'https://lore.kernel.org' */
  readonly loreUrl?: string;
}

/**
 * The scheduled fetchers: Patchwork patches (hourly recent, daily full refresh) and lore.kernel.org
 * discussions (weekly). A run that fails (circuit open, retries used up, malformed page) fails its
 * asynchronous invocation: Lambda retries it twice, then parks the event in the function's
 * dead-letter queue; runs Scheduler cannot deliver go to the job's own. Both queues alarm at depth 1.
 */
export class PatchTrackerFetchStack extends Stack {
  public readonly patchFetcher: EnhancedLambdaFunction;
  public readonly discussionFetcher: EnhancedLambdaFunction;
  public readonly patchJob: ScheduledJob;
  public readonly discussionJob: ScheduledJob;
  public readonly alarms: AlarmSet;

  constructor(scope: Construct, id: string, props: PatchTrackerFetchStackProps) {
    super(scope, id, props);
    const profile = EnvironmentConfig.of(this);
    const schedules = fetchSchedules(profile.environment);
    this.alarms = new AlarmSet(this, 'Alarms', { alarmSetName: this.stackName, topic: props.alarmTopic });

    this.patchFetcher = new EnhancedLambdaFunction(this, 'PatchFetcher', {
      code: bundledHandlerCode(APP_DIR, 'patch-fetcher'),
      environment: {
        ...handlerEnvironment('patch-fetcher'),
        PATCHES_TABLE: props.patches.tableName,
        PATCHWORK_URL: props.patchworkUrl ?? 'https://patchwork.kernel.org',
        PATCHWORK_PROJECTS: (props.projects ?? ['netdevbpf', 'linux-arm-kernel']).join(','),
        RECENT_WINDOW_HOURS: '2',
        MAX_PAGES_RECENT: String(schedules.maxPagesRecent),
        MAX_PAGES_FULL: String(schedules.maxPagesFull),
      },
      memorySize: profile.isProduction ? 1024 : 512,
      timeout: Duration.minutes(10),
      // One run at a time per function: overlapping full and hourly runs would only repeat each other's work.
      reservedConcurrentExecutions: 1,
      alarms: this.alarms,
    });
    props.patches.grantWriteData(this.patchFetcher);

    this.discussionFetcher = new EnhancedLambdaFunction(this, 'DiscussionFetcher', {
      code: bundledHandlerCode(APP_DIR, 'discussion-fetcher'),
      environment: {
        ...handlerEnvironment('discussion-fetcher'),
        PATCHES_TABLE: props.patches.tableName,
        DISCUSSIONS_TABLE: props.discussions.tableName,
        LORE_URL: props.loreUrl ?? 'https://lore.kernel.org',
        DISCUSSION_WINDOW_DAYS: '14',
        MAX_THREADS: profile.isProduction ? '500' : '50',
      },
      memorySize: 1024,
      timeout: Duration.minutes(15),
      reservedConcurrentExecutions: 1,
      alarms: this.alarms,
    });
    props.patches.grantReadData(this.discussionFetcher);
    props.discussions.grantWriteData(this.discussionFetcher);

    this.patchJob = new ScheduledJob(this, 'PatchJob', { handler: this.patchFetcher, schedules: schedules.patches });
    this.discussionJob = new ScheduledJob(this, 'DiscussionJob', { handler: this.discussionFetcher, schedules: schedules.discussions });
  }

  public get functions(): EnhancedLambdaFunction[] {
    return [this.patchFetcher, this.discussionFetcher];
  }
}
