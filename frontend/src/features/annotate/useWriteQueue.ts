/**
 * The workspace's writes: shown at once (optimistically), then sent. A lost connection keeps a
 * write (the screen already shows it) and sends it again, on a timer and when the browser is back
 * online; a write refused because the object changed elsewhere first (409) offers to reload the
 * object or to apply the change on top of its new version.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import {
  isMaskletEditable,
  undoEdit,
  undoPrompt,
  writeMaskletFrames,
  type FrameOrigin,
  type Masklet,
  type MaskletFrame,
} from '../../api/masklets';
import { countsFromString, rleArea, rleBbox, type CompressedRle } from '../../lib/rle';
import type { UndoTarget } from '../../lib/undo';
import type { WorkspaceDataApi } from './useWorkspaceData';

/** A write that failed because the server could not be reached: kept, and tried again. */
export interface PendingSave {
  description: string;
  retry: () => void;
}

/** A write refused because the object changed elsewhere first. */
export interface Conflict {
  maskletId: number;
  description: string;
  /** Fetch the object again and drop this change. */
  reload: () => void;
  /** Fetch the object's new version and apply this change on top. */
  reapply: () => void;
}

const AUTO_RETRY_MS = 4000;

export function frameFromRle(
  index: number,
  rle: CompressedRle,
  origin: FrameOrigin,
  score: number | null,
): MaskletFrame {
  const counts = countsFromString(rle.counts);
  return { frame_index: index, rle, origin, score, area: rleArea(counts), bbox: rleBbox(counts, rle.size[0]) };
}

export function useWriteQueue(options: {
  store: WorkspaceDataApi;
  frameCount: number;
  showError: (error: unknown) => void;
}) {
  const { store, frameCount } = options;
  const { dispatch, dataRef, masklet, refetchMasklet, scheduleRefetch, refetchPrompts } = store;
  const [pending, setPending] = useState<PendingSave | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const showError = useRef(options.showError);
  useLayoutEffect(() => {
    showError.current = options.showError;
  });

  /**
   * Run a write. A lost connection keeps it and retries it; a 409 offers reload or re-apply;
   * any other failure is shown and `onDropped` puts the screen back as it was.
   */
  const runWrite = useCallback(
    (description: string, maskletId: number, write: () => Promise<void>, onDropped?: () => void) => {
      const attempt = (): void => {
        write().then(
          () => setPending((p) => (p?.description === description ? null : p)),
          (e: unknown) => {
            if (e instanceof ApiError && e.isNetworkError) {
              setPending({ description, retry: attempt });
            } else if (
              e instanceof ApiError &&
              e.status === 409 &&
              // Under review or accepted: the server's refusal says so (no reload would help).
              isMaskletEditable(masklet(maskletId)?.status ?? 'draft')
            ) {
              setPending(null);
              setConflict({
                maskletId,
                description,
                reload: () => {
                  setConflict(null);
                  onDropped?.();
                  // The object as the server has it, every frame: no earlier write of ours is kept.
                  dispatch({ type: 'localWritesDropped', maskletId });
                  scheduleRefetch(maskletId, [0, frameCount - 1], true);
                  refetchPrompts(maskletId);
                },
                reapply: () => {
                  setConflict(null);
                  void refetchMasklet(maskletId).then(attempt);
                },
              });
            } else {
              setPending(null);
              onDropped?.();
              showError.current(e);
            }
          },
        );
      };
      attempt();
    },
    [dispatch, frameCount, masklet, refetchMasklet, refetchPrompts, scheduleRefetch],
  );

  // Retry a kept write now and then, and at once when the network is back.
  useEffect(() => {
    if (pending === null) return;
    const timer = setTimeout(pending.retry, AUTO_RETRY_MS);
    window.addEventListener('online', pending.retry);
    return () => {
      clearTimeout(timer);
      window.removeEventListener('online', pending.retry);
    };
  }, [pending]);

  const currentMask = useCallback(
    (maskletId: number, frame: number) => dataRef.current.frames.get(maskletId)?.get(frame),
    [dataRef],
  );

  /**
   * Write one frame's mask (or delete it). With `undo`, as the undo of that prompt or edit:
   * the server takes it out of SAM 2's state and puts the frame's previous mask back (shown
   * here at once). `onEdit` learns the SAM 2 log entry of a saved edit (for its undo).
   */
  const saveFrame = useCallback(
    (
      maskletId: number,
      frame: number,
      mask: { rle: CompressedRle; origin: FrameOrigin } | null,
      description: string,
      undo?: UndoTarget,
      onEdit?: (seq: number) => void,
    ) => {
      const before = currentMask(maskletId, frame);
      // Shown at once, and kept over refetched data until the server acknowledges it.
      dispatch(
        mask === null
          ? { type: 'localWriteStarted', maskletId, frames: [], deleted: [frame] }
          : {
              type: 'localWriteStarted',
              maskletId,
              frames: [frameFromRle(frame, mask.rle, mask.origin, null)],
              deleted: [],
            },
      );
      runWrite(
        description,
        maskletId,
        async () => {
          const change = {
            version: masklet(maskletId)?.version ?? 1,
            frames: mask === null ? [] : [{ frame_index: frame, rle: mask.rle, origin: mask.origin }],
            delete_frames: mask === null ? [frame] : [],
          };
          let saved: Masklet;
          if (undo === undefined) {
            const written = await writeMaskletFrames(maskletId, change);
            const seq = written.edit_actions[String(frame)];
            if (seq !== undefined) onEdit?.(seq);
            saved = written;
          } else if ('promptId' in undo) {
            saved = await undoPrompt(undo.promptId, change);
          } else {
            saved = await undoEdit(maskletId, undo.editSeq, change);
          }
          dispatch({ type: 'maskletSaved', masklet: saved });
          dispatch({ type: 'localWriteSettled', maskletId, frameIndices: [frame] });
          if (undo !== undefined && 'promptId' in undo) {
            const prompts = dataRef.current.prompts.get(maskletId) ?? [];
            dispatch({ type: 'promptsLoaded', maskletId, prompts: prompts.filter((p) => p.id !== undo.promptId) });
          }
        },
        () => {
          // Dropped: show the server's mask again.
          dispatch({
            type: 'localWriteSettled',
            maskletId,
            frameIndices: [frame],
            restore: before === undefined ? { frames: [], deleted: [frame] } : { frames: [before], deleted: [] },
          });
        },
      );
    },
    [dataRef, dispatch, currentMask, masklet, runWrite],
  );

  return { runWrite, saveFrame, currentMask, pending, setPending, conflict, setConflict };
}

export type WriteQueue = ReturnType<typeof useWriteQueue>;
