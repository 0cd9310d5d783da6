/**
 * The workspace's actions on top of its data (useWorkspaceData), writes (useWriteQueue), SAM 2's
 * state (useSam2Status) and propagation (usePropagation): prompts, mask edits, undo and redo, and
 * the objects themselves, with the plain-words notices the page shows. Tools never get here
 * directly: the page turns canvas events into these actions.
 */
import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, describeError, isAbortError } from '../../api/client';
import {
  addPrompt,
  createMasklet,
  deleteMasklet,
  updateMasklet,
  type Masklet,
  type MaskletCreateInput,
} from '../../api/masklets';
import type { ReadyVideo } from '../../api/videos';
import type { CompressedRle } from '../../lib/rle';
import {
  describeChange,
  planRedo,
  planUndo,
  UndoStack,
  type ChangeKind,
  type PromptInput,
  type UndoEntry,
} from '../../lib/undo';
import { undoAccess } from './editAccess';
import { usePropagation } from './usePropagation';
import { sam2Usable, useSam2Status } from './useSam2Status';
import { useWorkspaceData } from './useWorkspaceData';
import { frameFromRle, useWriteQueue } from './useWriteQueue';

export { propagationRange } from './usePropagation';
export type { Conflict, PendingSave } from './useWriteQueue';

/** What an action applies to: an object, or a new one made first (a label was picked). */
export type ActionTarget = number | { create: MaskletCreateInput };

export function useWorkspace(video: ReadyVideo, projectId: number, userId: number, initialFrame: number) {
  const [undo, setUndo] = useState(UndoStack.empty());
  const undoRef = useRef(undo);
  useLayoutEffect(() => {
    undoRef.current = undo;
  }, [undo]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const showError = useCallback((e: unknown) => {
    if (!isAbortError(e)) setError(describeError(e));
  }, []);

  const sam2 = useSam2Status();
  const propagationHooks = useRef<{ onJobEvent: Parameters<typeof useWorkspaceData>[0]['onJobEvent'] }>({
    onJobEvent: () => undefined,
  });
  const store = useWorkspaceData({
    video,
    projectId,
    userId,
    initialFrame,
    onJobEvent: (update) => propagationHooks.current.onJobEvent(update),
    onMaskletRemoved: (id) => setUndo((u) => u.withoutMasklet(id)),
  });
  const { dispatch, dataRef, masklet } = store;
  const writes = useWriteQueue({ store, frameCount: video.frame_count, showError });
  const { saveFrame, currentMask, runWrite, setPending, setConflict } = writes;
  const propagation = usePropagation({
    video,
    refetch: store.scheduleRefetch,
    notify: setInfo,
    showError,
    sam2Refused: sam2.refused,
  });
  useLayoutEffect(() => {
    propagationHooks.current.onJobEvent = propagation.onJobEvent;
  }, [propagation.onJobEvent]);

  // ---- objects -----------------------------------------------------------------------------------

  const addObject = useCallback(
    async (input: MaskletCreateInput): Promise<Masklet | null> => {
      try {
        const created = await createMasklet(video.id, input);
        dispatch({ type: 'maskletSaved', masklet: created });
        return created;
      } catch (e) {
        showError(e);
        return null;
      }
    },
    [dispatch, showError, video.id],
  );

  /** The object an action applies to, made first when it is a new one. */
  const resolve = useCallback(
    async (target: ActionTarget): Promise<number | null> =>
      typeof target === 'number' ? target : ((await addObject(target.create))?.id ?? null),
    [addObject],
  );

  const updateObject = useCallback(
    (id: number, changes: { name?: string; color?: string; label_id?: number | null }) => {
      runWrite('change to the object', id, async () => {
        const saved = await updateMasklet(id, { version: masklet(id)?.version ?? 1, ...changes });
        dispatch({ type: 'maskletSaved', masklet: saved });
      });
    },
    [dispatch, masklet, runWrite],
  );

  const deleteObject = useCallback(
    async (id: number) => {
      const attempt = async (): Promise<void> => {
        try {
          await deleteMasklet(id, masklet(id)?.version ?? 1);
          dispatch({ type: 'maskletRemoved', id });
          setUndo((u) => u.withoutMasklet(id));
        } catch (e) {
          if (e instanceof ApiError && e.status === 409) {
            setConflict({
              maskletId: id,
              description: 'deletion',
              reload: () => {
                setConflict(null);
                void store.refetchMasklet(id);
              },
              reapply: () => {
                setConflict(null);
                void store.refetchMasklet(id).then(attempt);
              },
            });
          } else showError(e);
        }
      };
      await attempt();
    },
    [dispatch, masklet, setConflict, showError, store],
  );

  // ---- masks ---------------------------------------------------------------------------------------

  const editMask = useCallback(
    async (target: ActionTarget, frame: number, rle: CompressedRle, kind: 'brush' | 'eraser') => {
      setInfo(null);
      const maskletId = await resolve(target);
      if (maskletId === null) return null;
      const before = currentMask(maskletId, frame);
      setUndo((u) =>
        u.push({
          maskletId,
          frame,
          kind,
          before: before ? { rle: before.rle, origin: before.origin } : null,
          after: rle,
        }),
      );
      saveFrame(maskletId, frame, { rle, origin: 'edited' }, describeChange({ kind, frame }), undefined, (seq) =>
        setUndo((u) => u.withEditSeq(maskletId, frame, rle, seq)),
      );
      return maskletId;
    },
    [currentMask, resolve, saveFrame],
  );

  /** Send a click or box to SAM 2; the answer becomes the frame's mask (and an undo entry). */
  const sendPrompt = useCallback(
    async (maskletId: number, frame: number, input: PromptInput, record: (entry: UndoEntry) => void) => {
      const kind: ChangeKind = input.box ? 'box' : 'click';
      const before = currentMask(maskletId, frame);
      setBusy(kind === 'box' ? 'SAM 2 is segmenting the box…' : 'SAM 2 is segmenting…');
      setError(null);
      const send = async (): Promise<void> => {
        const result = await addPrompt(maskletId, { frame_index: frame, ...input });
        const mask = result.mask;
        dispatch({ type: 'versionSeen', maskletId, version: mask.version });
        dispatch({
          type: 'framesSet',
          maskletId,
          frames: [frameFromRle(frame, mask.rle, 'click', mask.score)],
          deleted: [],
        });
        const prompts = dataRef.current.prompts.get(maskletId) ?? [];
        dispatch({ type: 'promptsLoaded', maskletId, prompts: [...prompts, result.prompt] });
        record({
          maskletId,
          frame,
          kind,
          before: before ? { rle: before.rle, origin: before.origin } : null,
          after: mask.rle,
          promptId: result.prompt.id,
          prompt: input,
        });
      };
      try {
        await send();
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) {
          sam2.refused(e.message);
          setError(e.message);
        } else if (e instanceof ApiError && e.isNetworkError) {
          const description = describeChange({ kind, frame });
          const retry = (): void => {
            send().then(
              () => setPending((p) => (p?.description === description ? null : p)),
              (again: unknown) => {
                if (!(again instanceof ApiError && again.isNetworkError)) {
                  setPending(null);
                  showError(again);
                }
              },
            );
          };
          setPending({ description, retry });
        } else {
          showError(e);
        }
      } finally {
        setBusy(null);
      }
    },
    [currentMask, dataRef, dispatch, sam2, setPending, showError],
  );

  const prompt = useCallback(
    async (target: ActionTarget, frame: number, input: { points: PromptInput['points']; box?: PromptInput['box'] }) => {
      if (!sam2Usable(sam2.view)) {
        setError(
          `Clicks and boxes need SAM 2: ${'message' in sam2.view ? sam2.view.message : ''} The brush and eraser work.`,
        );
        return null;
      }
      setInfo(null);
      const maskletId = await resolve(target);
      if (maskletId === null) return null;
      // A click adds to the frame's earlier clicks; a box starts the frame over.
      const full: PromptInput = { ...input, clear_old: input.box !== undefined };
      await sendPrompt(maskletId, frame, full, (entry) => setUndo((u) => u.push(entry)));
      return maskletId;
    },
    [resolve, sam2.view, sendPrompt],
  );

  const undoLast = useCallback(() => {
    const entry = undoRef.current.last;
    const plan = planUndo(entry, entry ? currentMask(entry.maskletId, entry.frame)?.rle : undefined);
    if (plan.kind === 'empty' || entry === undefined) {
      setInfo('Nothing to undo.');
      return;
    }
    // Under review or accepted: the change stays on the stack, undoable once the object is sent back.
    const locked = undoAccess(entry, masklet(entry.maskletId)?.status);
    if (!locked.enabled) {
      setInfo(`${locked.title}.`);
      return;
    }
    if (plan.kind === 'stale') {
      setUndo((u) => u.undo().dropUndone());
      setError(plan.reason);
      return;
    }
    setUndo((u) => u.undo());
    const description = `undo of the ${describeChange(entry)}`;
    saveFrame(plan.maskletId, plan.frame, plan.kind === 'write' ? plan.mask : null, description, plan.target);
    setInfo(`Undid the ${describeChange(entry)}.`);
  }, [currentMask, masklet, saveFrame]);

  const redoLast = useCallback(() => {
    const entry = undoRef.current.lastUndone;
    const plan = planRedo(entry, entry ? currentMask(entry.maskletId, entry.frame)?.rle : undefined);
    if (plan.kind === 'empty' || entry === undefined) {
      setInfo('Nothing to redo.');
      return;
    }
    const locked = undoAccess(entry, masklet(entry.maskletId)?.status);
    if (!locked.enabled) {
      setInfo(`${locked.title.replace('undone', 'redone')}.`);
      return;
    }
    if (plan.kind === 'stale') {
      setUndo((u) => u.dropUndone());
      setError(plan.reason);
      return;
    }
    setInfo(`Redid the ${describeChange(entry)}.`);
    if (plan.kind === 'prompt') {
      if (!sam2Usable(sam2.view)) {
        setError('Redoing a click needs SAM 2, which is not available now.');
        return;
      }
      void sendPrompt(plan.maskletId, plan.frame, plan.prompt, (redone) => setUndo((u) => u.redo(redone)));
      return;
    }
    // Made again as a new edit (a new SAM 2 log entry, learnt from the write's answer).
    setUndo((u) => u.redo({ ...entry, editSeq: undefined }));
    saveFrame(plan.maskletId, plan.frame, plan.mask, `redo of the ${describeChange(entry)}`, undefined, (seq) =>
      setUndo((u) => u.withEditSeq(plan.maskletId, plan.frame, plan.mask.rle, seq)),
    );
  }, [currentMask, masklet, sam2.view, saveFrame, sendPrompt]);

  return {
    data: store.data,
    pins: store.pins,
    load: store.load,
    reloadAll: store.reloadAll,
    stream: store.stream,
    undo,
    busy,
    error,
    clearError: () => setError(null),
    info,
    clearInfo: () => setInfo(null),
    /** A sentence for the status line (e.g. why a shortcut did nothing). */
    notify: setInfo,
    /** A masklet as another API call answered it (submit for review, override). */
    maskletChanged: (saved: Masklet) => dispatch({ type: 'maskletSaved', masklet: saved }),
    pending: writes.pending,
    conflict: writes.conflict,
    sam2: sam2.view,
    job: propagation.job,
    dismissJob: propagation.dismiss,
    cancelJob: propagation.cancel,
    propagate: propagation.propagate,
    prompt,
    editMask,
    undoLast,
    redoLast,
    addObject,
    updateObject,
    deleteObject,
  };
}

export type Workspace = ReturnType<typeof useWorkspace>;
