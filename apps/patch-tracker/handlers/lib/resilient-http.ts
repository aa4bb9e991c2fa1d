/**
 * HTTP GETs to the public archives (Patchwork, lore) behind cockatiel policies: each attempt has a
 * timeout, transient failures (timeouts, network errors, 429 and 5xx) are retried with exponential
 * backoff, and a circuit breaker around the retries opens after consecutive failed calls, so a
 * run against an archive that is down fails fast instead of hammering it.
 */
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IPolicy,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';

/** A response worth retrying: 429 or 5xx. */
export class TransientHttpError extends Error {
  constructor(public readonly url: string, public readonly status: number) {
    super(`GET ${url}: HTTP ${status}`);
    this.name = 'TransientHttpError';
  }
}

/** A response that retrying will not fix (4xx other than 429, or a body that is not what the API documents). */
export class PermanentHttpError extends Error {
  constructor(message: string, public readonly status?: number) {
    super(message);
    this.name = 'PermanentHttpError';
  }
}

export { BrokenCircuitError, TaskCancelledError };

export interface ResilienceOptions {
  /** Time limit of one attempt, in ms. */
  readonly attemptTimeoutMs: number;
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  /** First backoff delay, in ms (doubles with each retry, with jitter). */
  readonly initialDelayMs: number;
  /** Longest backoff delay, in ms. */
  readonly maxDelayMs: number;
  /** Consecutive failed requests (after their retries) that open the circuit. */
  readonly breakerThreshold: number;
  /** How long the circuit stays open before one trial request, in ms. */
  readonly halfOpenAfterMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  attemptTimeoutMs: 10_000,
  maxAttempts: 4,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
  breakerThreshold: 3,
  halfOpenAfterMs: 60_000,
};

/** What a GET returns: the body as bytes and the headers. */
export interface HttpResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

// fetch rejects with a TypeError ("fetch failed") on network errors: connection refused or reset, DNS.
const isTransient = (err: Error): boolean => err instanceof TransientHttpError || err instanceof TaskCancelledError || err instanceof TypeError;

/**
 * One archive's HTTP client. Keep one per container and archive: the breaker's state must outlive a
 * single request to be of any use.
 */
export class ResilientHttp {
  public readonly policy: IPolicy;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(options: ResilienceOptions = DEFAULT_RESILIENCE, private readonly userAgent = 'patch-tracker/1.0') {
    const retryPolicy = retry(handleWhen(isTransient), {
      maxAttempts: options.maxAttempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs }),
    });
    // The breaker counts requests whose retries were all used up (it sits outside the retry).
    this.breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    this.policy = wrap(this.breaker, retryPolicy, timeout(options.attemptTimeoutMs, TimeoutStrategy.Aggressive));
  }

  /** Whether the circuit is open (or half-open): requests fail fast with a BrokenCircuitError. */
  public get circuitOpen(): boolean {
    return this.breaker.state !== CircuitState.Closed;
  }

  /** GET `url`; 2xx resolves, 404/4xx reject with a PermanentHttpError, the rest is retried, then rejects. */
  public async get(url: string, accept: string): Promise<HttpResponse> {
    return this.policy.execute(async ({ signal }) => {
      const response = await fetch(url, { signal, headers: { 'accept': accept, 'user-agent': this.userAgent } });
      if (response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        throw new TransientHttpError(url, response.status);
      }
      if (response.status < 200 || response.status >= 300) {
        await response.body?.cancel();
        throw new PermanentHttpError(`GET ${url}: HTTP ${response.status}`, response.status);
      }
      const body = Buffer.from(await response.arrayBuffer());
      return { url, status: response.status, headers: response.headers, body };
    });
  }
}
