import { streaksOf } from '../../handlers/lib/dates';
import { progressOf } from '../../handlers/lib/goal-progress';
import { milestonesReached } from '../../handlers/lib/milestones';

describe('streaks', () => {
  test('the current streak ends today or yesterday; a missed day breaks it', () => {
    expect(streaksOf(['2026-03-01', '2026-03-02', '2026-03-03'], '2026-03-03')).toEqual({ current: 3, longest: 3 });
    expect(streaksOf(['2026-03-01', '2026-03-02'], '2026-03-03')).toEqual({ current: 2, longest: 2 });
    expect(streaksOf(['2026-03-01', '2026-03-02'], '2026-03-04')).toEqual({ current: 0, longest: 2 });
    expect(streaksOf(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-05'], '2026-03-05')).toEqual({ current: 1, longest: 3 });
    expect(streaksOf([], '2026-03-05')).toEqual({ current: 0, longest: 0 });
  });
});

describe('milestones', () => {
  test('target in the metric\'s direction and 7/30/100-day streaks', () => {
    expect(milestonesReached({ direction: 'increase', target: 10, currentValue: 10, currentStreak: 1 })).toEqual(['target_reached']);
    expect(milestonesReached({ direction: 'decrease', target: 70, currentValue: 72, currentStreak: 7 })).toEqual(['streak_7']);
    expect(milestonesReached({ direction: 'decrease', target: 70, currentValue: 69, currentStreak: 100 })).toEqual(['target_reached', 'streak_7', 'streak_30', 'streak_100']);
    expect(milestonesReached({ direction: 'increase', currentStreak: 6 })).toEqual([]);
  });
});

test('goal progress is the share of linked tasks done', () => {
  expect(progressOf([])).toEqual({ progress: 0, taskCount: 0, doneTaskCount: 0 });
  expect(progressOf(['done', 'todo', 'in_progress'])).toEqual({ progress: 33, taskCount: 3, doneTaskCount: 1 });
});
