/**
 * The reviewer's lease on the masklet under review: renewed before it runs out (retried after a
 * failed connection; lost on a refusal), the time left for the header, given back by "Skip", and
 * released when the reviewer leaves without a verdict — in the app (unmount) and when the tab goes
 * (a reload then takes the next masklet at once: `releasedByThisTab`).
 */
import { useEffect, useLayoutEffect, useRef, useState, type Dispatch } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, describeError } from '../../api/client';
import { releaseAssignment, releaseAssignmentOnUnload, renewAssignment } from '../../api/reviews';
import { queuePath } from './paths';
import { holdsLease, type ReviewAction, type ReviewSession } from './queueState';
import { renewDelayMs } from './reviewDraft';

/** Releases asked for by screens that unmounted; a remount of the same review (React's strict
 * mode in development) cancels it before it goes out. */
const pendingReleases = new Map<number, ReturnType<typeof setTimeout>>();
const RELEASE_GRACE_MS = 50;
/** Retry of a renewal that failed for want of a connection. */
const RENEW_RETRY_MS = 5_000;
/** sessionStorage key: the assignment this tab gave back as its page went away (a reload, mostly). */
const UNLOAD_RELEASE_KEY = 'review.releasedOnUnload';

/** Whether this tab itself released `assignmentId` when its previous page went away; forgets it. */
export function releasedByThisTab(assignmentId: number): boolean {
  try {
    const mine = sessionStorage.getItem(UNLOAD_RELEASE_KEY) === String(assignmentId);
    sessionStorage.removeItem(UNLOAD_RELEASE_KEY);
    return mine;
  } catch {
    return false; // storage disabled
  }
}

export interface ReviewLease {
  /** The lease is held (no verdict sent, not lost). */
  holding: boolean;
  /** Date.now(), refreshed every 15 s: the time left, in words. */
  now: number;
  /** "Skip" was pressed: the masklet is being given back. */
  skipping: boolean;
  /** Give the masklet back, then go to the queue. */
  skip: () => void;
}

export function useReviewLease(options: {
  projectId: number;
  assignmentId: number;
  session: ReviewSession;
  dispatch: Dispatch<ReviewAction>;
}): ReviewLease {
  const { projectId, assignmentId, session, dispatch } = options;
  const navigate = useNavigate();
  const [now, setNow] = useState(() => Date.now());
  const holding = holdsLease(session);
  const holdingRef = useRef(holding);
  useLayoutEffect(() => {
    holdingRef.current = holding;
  }, [holding]);
  /** Given back by "Skip": nothing left to release when the screen goes. */
  const givenBack = useRef(false);
  const [skipping, setSkipping] = useState(false);
  const [renewAttempt, setRenewAttempt] = useState(0);
  useEffect(() => {
    if (!holding) return;
    const delay = Math.max(renewAttempt > 0 ? RENEW_RETRY_MS : 0, renewDelayMs(session.expiresAt, Date.now()));
    const timer = setTimeout(() => {
      renewAssignment(assignmentId).then(
        (renewed) => {
          setRenewAttempt(0);
          dispatch({ type: 'renewed', expiresAt: renewed.expires_at });
        },
        (e: unknown) => {
          if (e instanceof ApiError && !e.isNetworkError && e.status < 500) {
            dispatch({ type: 'lost', message: describeError(e) });
          } else {
            dispatch({
              type: 'renewFailed',
              message: `Could not renew your hold on this masklet: ${describeError(e)}`,
            });
            setRenewAttempt((a) => a + 1);
          }
        },
      );
    }, delay);
    return () => clearTimeout(timer);
  }, [assignmentId, holding, session.expiresAt, renewAttempt, dispatch]);

  // The time left, in words.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);

  // Leaving without a verdict gives the masklet back: in the app (unmount) and when the tab goes.
  useEffect(() => {
    const id = assignmentId;
    const pending = pendingReleases.get(id);
    if (pending !== undefined) {
      clearTimeout(pending);
      pendingReleases.delete(id);
    }
    const onPageHide = () => {
      if (!holdingRef.current || givenBack.current) return;
      releaseAssignmentOnUnload(id);
      try {
        sessionStorage.setItem(UNLOAD_RELEASE_KEY, String(id));
      } catch {
        // storage disabled: a reload then shows "no longer yours" with a button instead
      }
    };
    window.addEventListener('pagehide', onPageHide);
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      if (!holdingRef.current || givenBack.current) return;
      pendingReleases.set(
        id,
        setTimeout(() => {
          pendingReleases.delete(id);
          releaseAssignment(id).catch(() => undefined); // it expires on its own otherwise
        }, RELEASE_GRACE_MS),
      );
    };
  }, [assignmentId]);

  const skip = () => {
    // Released before leaving, so that the queue page already counts it as waiting.
    givenBack.current = true;
    setSkipping(true);
    releaseAssignment(assignmentId)
      .catch(() => undefined) // the lease then ends on its own
      .finally(() => void navigate(queuePath(projectId)));
  };

  return { holding, now, skipping, skip };
}
