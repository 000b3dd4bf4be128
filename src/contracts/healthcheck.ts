/** A healthcheck as the Engine API and image configs carry it (durations in nanoseconds). */
export interface HealthcheckConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}
