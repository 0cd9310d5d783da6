import { useEffect, useRef } from 'react';
import { postActivity } from '../../api/quality';
import { ActivityTracker, type ActivitySender } from './activity';

/** Window events that mean someone is working (pointermove too: tracing an outline is work). */
const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel'] as const;

/**
 * Reports the workspace's active annotating time to activity/ (see activity.ts) while `enabled`,
 * tagged with the current frame. Listens on the window, so it needs nothing from the page's DOM.
 */
export function useActivityReport(videoId: number, frame: number, enabled = true, send: ActivitySender = postActivity) {
  const trackerRef = useRef<ActivityTracker | null>(null);

  useEffect(() => {
    if (!enabled) return;
    const tracker = new ActivityTracker({
      video: videoId,
      send,
      visible: document.visibilityState === 'visible',
    });
    trackerRef.current = tracker;
    const onInput = () => tracker.input();
    const onVisibility = () => tracker.setVisible(document.visibilityState === 'visible');
    // pagehide also fires where visibilitychange does not (some browsers on tab close / bfcache).
    const onPageHide = () => tracker.setVisible(false);
    const onPageShow = () => tracker.setVisible(document.visibilityState === 'visible');
    for (const name of INPUT_EVENTS) window.addEventListener(name, onInput, { passive: true, capture: true });
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', onPageShow);
    tracker.start();
    return () => {
      for (const name of INPUT_EVENTS) window.removeEventListener(name, onInput, { capture: true });
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('pageshow', onPageShow);
      tracker.stop();
      trackerRef.current = null;
    };
  }, [videoId, enabled, send]);

  useEffect(() => {
    trackerRef.current?.setFrame(frame);
  }, [frame, enabled]);
}
