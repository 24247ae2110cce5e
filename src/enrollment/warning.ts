import type { EnrollmentWarning } from '../campaigns/schemas.js'
import type { EnrollmentRun } from './engine.js'

/** The contract's warning, present only when eligible leads were left behind. */
export function warningFor (run: EnrollmentRun): EnrollmentWarning | undefined {
  if (run.stoppedBy === undefined) return undefined
  const message = run.stoppedBy === 'enrollment_cap'
    ? `Enrolled ${run.enrolled} of ${run.totalMatching} matching leads: the campaign's maxLeadsToEnroll cap was reached, ${run.remaining} ${run.remaining === 1 ? 'was' : 'were'} not enrolled.`
    : `Enrolled ${run.enrolled} of ${run.totalMatching} matching leads before the enrollment time budget ran out (or the service began to shut down, or enrollment broke off); the remaining ${run.remaining} ${run.remaining === 1 ? 'is' : 'are'} enrolled by the next activation tick.`
  return { totalMatching: run.totalMatching, enrolled: run.enrolled, remaining: run.remaining, reason: run.stoppedBy, message }
}
