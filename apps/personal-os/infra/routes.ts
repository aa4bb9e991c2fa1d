import type { RouteDefinition } from '../../kit/infra/route-definition';

/**
 * Every route of the Personal OS API and the handler (handlers/<handler>.lambda.ts) that serves it:
 * the API stack wires these into the SecureRestApi and local mode serves the same list over HTTP.
 */
export type PersonalOsHandler = 'health' | 'me' | 'tasks' | 'goals' | 'habits' | 'metrics' | 'wallet';

export interface PersonalOsRoute extends RouteDefinition {
  readonly handler: PersonalOsHandler;
}

export const ROUTES: readonly PersonalOsRoute[] = [
  { name: 'Health', path: '/health', method: 'GET', handler: 'health', publicReason: 'Liveness probe for uptime checks; returns only status, stage and time.' },
  { name: 'Me', path: '/auth/me', method: 'GET', handler: 'me' },

  { name: 'ListTasks', path: '/tasks', method: 'GET', handler: 'tasks' },
  { name: 'CreateTask', path: '/tasks', method: 'POST', handler: 'tasks' },
  { name: 'GetTask', path: '/tasks/{id}', method: 'GET', handler: 'tasks' },
  { name: 'UpdateTask', path: '/tasks/{id}', method: 'PATCH', handler: 'tasks' },
  { name: 'DeleteTask', path: '/tasks/{id}', method: 'DELETE', handler: 'tasks' },
  { name: 'CompleteTask', path: '/tasks/{id}/complete', method: 'POST', handler: 'tasks' },

  { name: 'ListGoals', path: '/goals', method: 'GET', handler: 'goals' },
  { name: 'CreateGoal', path: '/goals', method: 'POST', handler: 'goals' },
  { name: 'GetGoal', path: '/goals/{id}', method: 'GET', handler: 'goals' },
  { name: 'UpdateGoal', path: '/goals/{id}', method: 'PATCH', handler: 'goals' },
  { name: 'DeleteGoal', path: '/goals/{id}', method: 'DELETE', handler: 'goals' },

  { name: 'ListHabits', path: '/habits', method: 'GET', handler: 'habits' },
  { name: 'CreateHabit', path: '/habits', method: 'POST', handler: 'habits' },
  { name: 'HabitsToday', path: '/habits/today', method: 'GET', handler: 'habits' },
  { name: 'GetHabit', path: '/habits/{id}', method: 'GET', handler: 'habits' },
  { name: 'UpdateHabit', path: '/habits/{id}', method: 'PATCH', handler: 'habits' },
  { name: 'DeleteHabit', path: '/habits/{id}', method: 'DELETE', handler: 'habits' },
  { name: 'LogHabit', path: '/habits/{id}/logs', method: 'POST', handler: 'habits' },
  { name: 'ListHabitLogs', path: '/habits/{id}/logs', method: 'GET', handler: 'habits' },

  { name: 'ListMetrics', path: '/metrics', method: 'GET', handler: 'metrics' },
  { name: 'CreateMetric', path: '/metrics', method: 'POST', handler: 'metrics' },
  { name: 'GetMetric', path: '/metrics/{id}', method: 'GET', handler: 'metrics' },
  { name: 'UpdateMetric', path: '/metrics/{id}', method: 'PATCH', handler: 'metrics' },
  { name: 'DeleteMetric', path: '/metrics/{id}', method: 'DELETE', handler: 'metrics' },
  { name: 'LogMetric', path: '/metrics/{id}/logs', method: 'POST', handler: 'metrics' },
  { name: 'ListMetricLogs', path: '/metrics/{id}/logs', method: 'GET', handler: 'metrics' },

  { name: 'GetWallet', path: '/wallet', method: 'GET', handler: 'wallet' },
  { name: 'Redeem', path: '/wallet/redeem', method: 'POST', handler: 'wallet' },
];
