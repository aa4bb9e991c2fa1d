/** Milestones of a metric and the points each awards once (awarded with the milestone, lib/wallet.ts). */
export const MILESTONE_POINTS = { target_reached: 50, streak_7: 20, streak_30: 50, streak_100: 150 } as const;
export type MilestoneKind = keyof typeof MILESTONE_POINTS;

/** What a metric's state reaches: its target (in its direction) and logging streaks of 7, 30 and 100 days. */
export interface MetricState {
  readonly direction: 'increase' | 'decrease';
  readonly target?: number;
  readonly currentValue?: number;
  readonly currentStreak: number;
}

export function milestonesReached(state: MetricState): MilestoneKind[] {
  const reached: MilestoneKind[] = [];
  if (state.target !== undefined && state.currentValue !== undefined
    && (state.direction === 'increase' ? state.currentValue >= state.target : state.currentValue <= state.target)) {
    reached.push('target_reached');
  }
  for (const days of [7, 30, 100] as const) {
    if (state.currentStreak >= days) reached.push(`streak_${days}`);
  }
  return reached;
}
