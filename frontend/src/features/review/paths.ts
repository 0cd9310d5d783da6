/** Where the review screens live, and what they hand the queue page when sending people back. */

export function queuePath(projectId: number): string {
  return `/projects/${projectId}/review`;
}

export function reviewPath(projectId: number, assignmentId: number): string {
  return `/projects/${projectId}/review/${assignmentId}`;
}

/** Router state of the queue page: a sentence to show (e.g. "nothing else to verify"). */
export interface QueueLocationState {
  notice?: string;
}
