/** Where the deletion brake's sliding window stands for one termination. */
export interface BrakeDecision {
  /** False: the termination must be held, not executed. */
  readonly admitted: boolean;
  /** Terminations counted in the window (this one included when it was admitted). */
  readonly recent: number;
  /** The threshold: the larger of the configured minimum and the percentage of linked users. */
  readonly limit: number;
}

/**
 * The accidental-mass-deprovisioning guard (what Entra calls accidental deletion prevention): a
 * broken HRIS export or a wrong filter must not wipe the phone system in one run. Terminations
 * (deletes and disables) are counted in a sliding window; past the threshold they are held.
 */
export interface DeletionBrake {
  /** Counts one termination unless the window is full. `force` (an operator's release) counts it regardless. */
  admit(options?: { readonly force?: boolean }): Promise<BrakeDecision>;
  /** Where the window stands, counting nothing: for dry runs and `plan`. */
  inspect(): Promise<BrakeDecision>;
}
