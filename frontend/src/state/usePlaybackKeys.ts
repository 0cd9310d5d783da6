/**
 * The video viewer's playback keys (Space/K, arrows, Home/End, G), shared by the plain viewer and
 * the annotation workspace, which adds its own shortcuts through `extra`. One window listener per
 * page; the key table is `VIEWER_SHORTCUTS`, which the help overlay lists too.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';
import {
  belongsToControl,
  BIG_STEP,
  isModalOpen,
  matchShortcut,
  VIEWER_SHORTCUTS,
  type Shortcut,
  type ShortcutGroup,
} from '../ui/shortcuts';

/** What the keys drive: FramePlayer has these. */
export interface PlaybackTarget {
  toggle(): void;
  step(delta: number): void;
  pause(): void;
  seek(frame: number): void;
}

/**
 * Space held down as a modifier (the workspace: Space + drag pans). Space then plays or pauses
 * when it is released, unless `release` says the hold was used.
 */
export interface SpaceHold {
  press(): void;
  /** Space is up again; true when the hold was used (then it does not play or pause). */
  release(): boolean;
}

export interface PlaybackKeysOptions {
  /** The player now, or null while there is none. */
  target: () => PlaybackTarget | null;
  lastFrame: number;
  /** G: put the focus in the page's frame number field. */
  goToFrame: () => void;
  /** The page's own shortcuts, tried when no viewer key matches. */
  extra?: { group: ShortcutGroup; run: (shortcut: Shortcut, event: KeyboardEvent) => void };
  spaceHold?: SpaceHold;
}

/** Run a viewer shortcut on a player; false for ids that are not playback keys. */
export function runPlaybackShortcut(
  id: string,
  target: PlaybackTarget,
  lastFrame: number,
  goToFrame: () => void,
): boolean {
  switch (id) {
    case 'togglePlay':
      target.toggle();
      return true;
    case 'prevFrame':
      target.step(-1);
      return true;
    case 'nextFrame':
      target.step(1);
      return true;
    case 'back10':
      target.step(-BIG_STEP);
      return true;
    case 'forward10':
      target.step(BIG_STEP);
      return true;
    case 'firstFrame':
      target.pause();
      target.seek(0);
      return true;
    case 'lastFrame':
      target.pause();
      target.seek(lastFrame);
      return true;
    case 'goToFrame':
      goToFrame();
      return true;
    default:
      return false;
  }
}

export function usePlaybackKeys(options: PlaybackKeysOptions): void {
  // The listener lives as long as the page; it reads the newest options through this ref.
  const latest = useRef(options);
  useLayoutEffect(() => {
    latest.current = options;
  });

  useEffect(() => {
    /** Space went down on us (not on a button) with a hold handler: its key-up decides. */
    let spaceDown = false;

    const onKeyDown = (event: KeyboardEvent) => {
      const o = latest.current;
      const target = o.target();
      if (target === null || isModalOpen() || belongsToControl(event.target, event.key)) return;
      const viewer = matchShortcut(event, VIEWER_SHORTCUTS);
      if (viewer !== undefined) {
        event.preventDefault(); // no page scroll on Space/arrows, no double step on the focused slider
        if (event.key === ' ' && o.spaceHold !== undefined) {
          if (!spaceDown && !event.repeat) {
            spaceDown = true;
            o.spaceHold.press();
          }
          return;
        }
        runPlaybackShortcut(viewer.id, target, o.lastFrame, o.goToFrame);
        return;
      }
      const extra = o.extra === undefined ? undefined : matchShortcut(event, o.extra.group);
      if (extra === undefined || o.extra === undefined) return;
      event.preventDefault();
      o.extra.run(extra, event);
    };

    const onKeyUp = (event: KeyboardEvent) => {
      if (event.key !== ' ' || !spaceDown) return;
      spaceDown = false;
      const o = latest.current;
      const used = o.spaceHold?.release() ?? false;
      event.preventDefault();
      if (!used && !isModalOpen()) o.target()?.toggle();
    };

    // Focus left the window with Space down: its key-up will never come here.
    const onBlur = () => {
      if (!spaceDown) return;
      spaceDown = false;
      latest.current.spaceHold?.release();
    };

    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('keyup', onKeyUp);
    window.addEventListener('blur', onBlur);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      window.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('blur', onBlur);
      if (spaceDown) latest.current.spaceHold?.release();
    };
  }, []);
}
