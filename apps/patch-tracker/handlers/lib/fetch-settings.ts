/** Settings of the fetchers from the function's environment (the stack sets them per profile). */
import { DEFAULT_RESILIENCE, ResilienceOptions } from './resilient-http';

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

/** Timeouts, retries and breaker (HTTP_* variables; tests shorten them). */
export function resilienceFromEnv(): ResilienceOptions {
  return {
    attemptTimeoutMs: numberEnv('HTTP_ATTEMPT_TIMEOUT_MS', DEFAULT_RESILIENCE.attemptTimeoutMs),
    maxAttempts: numberEnv('HTTP_MAX_ATTEMPTS', DEFAULT_RESILIENCE.maxAttempts),
    initialDelayMs: numberEnv('HTTP_BACKOFF_INITIAL_MS', DEFAULT_RESILIENCE.initialDelayMs),
    maxDelayMs: numberEnv('HTTP_BACKOFF_MAX_MS', DEFAULT_RESILIENCE.maxDelayMs),
    breakerThreshold: numberEnv('HTTP_BREAKER_THRESHOLD', DEFAULT_RESILIENCE.breakerThreshold),
    halfOpenAfterMs: numberEnv('HTTP_BREAKER_HALF_OPEN_MS', DEFAULT_RESILIENCE.halfOpenAfterMs),
  };
}

export { numberEnv };
