// Which number decides whether a test's trials agree (Phoronix Test Suite style: at least N
// trials, more while the relative standard deviation is above the threshold, up to 2N).
import type { ResultFields, TestName } from './fields.js';

/** The headline metric of each test, the one whose spread decides about more trials. */
export const PRIMARY_METRIC: Record<TestName, keyof ResultFields> = {
  cpu: 'events_per_sec',
  threads: 'total_events',
  fileio: 'read_mib_per_sec',
  memory: 'mib_per_sec',
  mutex: 'total_time_s',
};

export const RSD_THRESHOLD = 0.035;

/**
 * True while another trial is wanted: fewer than `min` so far, or the relative standard
 * deviation of the values is above the threshold and fewer than 2·min trials ran.
 */
export function trialsNeeded(values: number[], min: number, rsdThreshold = RSD_THRESHOLD): boolean {
  if (values.length < min) return true;
  if (values.length >= 2 * min || values.length < 2) return false;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return false;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance) / Math.abs(mean) > rsdThreshold;
}
