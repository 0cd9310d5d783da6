/**
 * The workspace's data and every API call it makes: loading, live events, prompts, edits, undo,
 * propagation, and the plain-words handling of failures (a lost connection keeps the edit and
 * retries; a stale object offers a reload). Tools never get here directly: the page turns canvas
 * events into these actions.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, describeError, isAbortError } from '../../api/client';
import { EventStream, type StreamStatus } from '../../api/eventStream';
import {
  addPrompt,
  cancelPropagation,
  createMasklet,
  createPropagation,
  deleteMasklet,
  getMasklet,
  getPropagation,
  getSam2Status,
  isJobActive,
  isMaskletEditable,
  latestEventId,
  listMaskletFrames,
  listMasklets,
  listPrompts,
  listPropagations,
  updateMasklet,
  undoPrompt,
  writeMaskletFrames,
  type Direction,
  type FrameOrigin,
  type Masklet,
  type MaskletCreateInput,
  type MaskletFrame,
  type ProjectEvent,
  type PromptBox,
  type PromptPoint,
  type PropagationJob,
  type Sam2Status,
} from '../../api/masklets';
import type { ReadyVideo } from '../../api/videos';
import { rleArea, rleBbox, countsFromString, type CompressedRle } from '../../lib/rle';
import { describeChange, planUndo, UndoStack, type ChangeKind } from '../../lib/undo';
import { undoAccess } from './editAccess';
import { EMPTY_WORKSPACE, rangeOf, workspaceReducer, type WorkspaceAction, type WorkspaceData } from './workspaceState';

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

export type LoadState = { status: 'loading' } | { status: 'done' } | { status: 'error'; error: unknown };

const AUTO_RETRY_MS = 4000;
const JOB_POLL_MS = 2000;
const SAM2_POLL_MS = 30_000;
const REFETCH_DELAY_MS = 150;

function frameFromRle(index: number, rle: CompressedRle, origin: FrameOrigin, score: number | null): MaskletFrame {
  const counts = countsFromString(rle.counts);
  return { frame_index: index, rle, origin, score, area: rleArea(counts), bbox: rleBbox(counts, rle.size[0]) };
}

/**
 * The `[frame_start, frame_end)` bounds of a propagation limited to `limit` frames on each side of
 * `start` (null: to the ends of the video, which is what the API does without bounds).
 */
export function propagationRange(
  start: number,
  direction: Direction,
  limit: number | null,
  frameCount: number,
): { frame_start?: number; frame_end?: number } {
  if (limit === null || !(limit > 0)) return {};
  return {
    ...(direction !== 'forward' ? { frame_start: Math.max(0, start - limit) } : {}),
    ...(direction !== 'backward' ? { frame_end: Math.min(frameCount, start + limit + 1) } : {}),
  };
}

export function useWorkspace(video: ReadyVideo, projectId: number, userId: number) {
  // Async callbacks (answers, events, retries) read the newest state through refs. This one is
  // updated as each action is applied, not at the next render: a callback that runs right after a
  // dispatch sees it (a re-applied write sends the version just fetched; a refetch notes the
  // newest local write it can know about).
  const dataRef = useRef<WorkspaceData>(EMPTY_WORKSPACE);
  const [data, setData] = useState<WorkspaceData>(EMPTY_WORKSPACE);
  const dispatch = useCallback((action: WorkspaceAction) => {
    const next = workspaceReducer(dataRef.current, action);
    if (next === dataRef.current) return;
    dataRef.current = next;
    setData(next);
  }, []);
  const [load, setLoad] = useState<LoadState>({ status: 'loading' });
  const [undo, setUndo] = useState(UndoStack.empty());
  const undoRef = useRef(undo);
  useLayoutEffect(() => {
    undoRef.current = undo;
  }, [undo]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingSave | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [sam2, setSam2] = useState<Sam2Status | null>(null);
  const [job, setJob] = useState<PropagationJob | null>(null);
  const jobRef = useRef(job);
  useLayoutEffect(() => {
    jobRef.current = job;
  }, [job]);
  const [stream, setStream] = useState<StreamStatus>('connecting');
  const refetchQueue = useRef(new Map<number, { start: number; end: number; masklet: boolean }>());
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const masklet = useCallback(
    (id: number): Masklet | undefined => dataRef.current.masklets.find((m) => m.id === id),
    [],
  );

  const showError = useCallback((e: unknown) => {
    if (!isAbortError(e)) setError(describeError(e));
  }, []);

  // ---- fetching what changed elsewhere -------------------------------------------------------

  const refetchMasklet = useCallback(
    async (id: number) => {
      try {
        dispatch({ type: 'maskletSaved', masklet: await getMasklet(id) });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) dispatch({ type: 'maskletRemoved', id });
      }
    },
    [dispatch],
  );

  const flushRefetch = useCallback(() => {
    refetchTimer.current = null;
    const queue = new Map(refetchQueue.current);
    refetchQueue.current.clear();
    for (const [id, range] of queue) {
      if (range.masklet) void refetchMasklet(id);
      if (range.end > range.start) {
        // Frames written here after this point are not in the answer: it must not undo them.
        const asOf = dataRef.current.writeSeq;
        listMaskletFrames(id, { start: range.start, end: range.end }).then(
          (frames) =>
            dispatch({ type: 'framesLoaded', maskletId: id, start: range.start, end: range.end, frames, asOf }),
          () => undefined, // the next event or a reload brings them
        );
      }
    }
  }, [dispatch, refetchMasklet]);

  /** Coalesce refetches: a propagation sends many small events. */
  const scheduleRefetch = useCallback(
    (id: number, frames: readonly number[], maskletToo: boolean) => {
      const range = rangeOf(frames);
      const queued = refetchQueue.current.get(id);
      refetchQueue.current.set(id, {
        start: Math.min(queued?.start ?? Infinity, range?.start ?? Infinity),
        end: Math.max(queued?.end ?? -Infinity, range?.end ?? -Infinity),
        masklet: (queued?.masklet ?? false) || maskletToo,
      });
      const entry = refetchQueue.current.get(id)!;
      if (!Number.isFinite(entry.start)) refetchQueue.current.set(id, { start: 0, end: 0, masklet: entry.masklet });
      refetchTimer.current ??= setTimeout(flushRefetch, REFETCH_DELAY_MS);
    },
    [flushRefetch],
  );

  const refetchPrompts = useCallback(
    (id: number) => {
      listPrompts(id).then(
        (prompts) => dispatch({ type: 'promptsLoaded', maskletId: id, prompts }),
        () => undefined,
      );
    },
    [dispatch],
  );

  const onJobUpdate = useCallback((update: Partial<PropagationJob> & { id: number }) => {
    setJob((current) => {
      if (current !== null && current.id !== update.id && isJobActive(current)) return current;
      const base = current !== null && current.id === update.id ? current : null;
      if (base === null) {
        // A job this page did not start (another browser, or before a reload): fetch it whole.
        getPropagation(update.id).then(
          (full) => setJob((now) => (now === null || now.id === full.id || !isJobActive(now) ? full : now)),
          () => undefined,
        );
        return current;
      }
      return { ...base, ...update };
    });
  }, []);

  const handleEvents = useCallback(
    (events: ProjectEvent[]) => {
      for (const event of events) {
        const p = event.payload;
        const id = typeof p['masklet'] === 'number' ? p['masklet'] : null;
        switch (event.kind) {
          case 'masklet.created':
          case 'masklet.updated':
          case 'masklet.status': // submitted, judged, overridden (review workflow)
            if (id !== null) void refetchMasklet(id);
            break;
          case 'masklet.deleted':
            if (id !== null) {
              dispatch({ type: 'maskletRemoved', id });
              setUndo((u) => u.withoutMasklet(id));
            }
            break;
          case 'masklet.frames_written': {
            if (id === null) break;
            const version = typeof p['version'] === 'number' ? p['version'] : 0;
            const local = masklet(id);
            // Our own write, already applied from the PUT's answer: nothing to fetch.
            if (event.actor === userId && local !== undefined && local.version >= version) break;
            dispatch({ type: 'versionSeen', maskletId: id, version });
            const frames = [
              ...((p['frames'] as number[] | undefined) ?? []),
              ...((p['deleted'] as number[] | undefined) ?? []),
            ];
            scheduleRefetch(id, frames, false);
            break;
          }
          case 'prompt.added':
            if (id !== null) refetchPrompts(id);
            break;
          case 'propagation.frames': {
            const written = (p['frames'] ?? {}) as Record<string, number[]>;
            for (const [key, frames] of Object.entries(written)) scheduleRefetch(Number(key), frames, true);
            if (typeof p['job'] === 'number') {
              onJobUpdate({
                id: p['job'],
                status: (p['status'] as PropagationJob['status'] | undefined) ?? 'running',
                frames_done: Number(p['frames_done'] ?? 0),
                frames_total: Number(p['frames_total'] ?? 0),
              });
            }
            break;
          }
          default:
            if (event.kind.startsWith('propagation.') && typeof p['job'] === 'number') {
              const status =
                event.kind === 'propagation.requeued' ? 'queued' : (p['status'] as PropagationJob['status']);
              onJobUpdate({
                id: p['job'],
                status,
                frames_done: Number(p['frames_done'] ?? 0),
                frames_total: Number(p['frames_total'] ?? 0),
                ...(typeof p['error'] === 'string' ? { error: p['error'] } : {}),
              });
            }
        }
      }
    },
    [dispatch, masklet, onJobUpdate, refetchMasklet, refetchPrompts, scheduleRefetch, userId],
  );

  // ---- loading, and the live stream from the moment of loading ---------------------------------

  const handleEventsRef = useRef(handleEvents);
  useLayoutEffect(() => {
    handleEventsRef.current = handleEvents;
  }, [handleEvents]);
  const [loadGeneration, setLoadGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let streamHandle: EventStream | null = null;
    (async () => {
      // The newest event id first: anything after it is replayed by the stream, so nothing that
      // happens while the masks load is missed (replays are harmless: refetches are idempotent).
      const after = await latestEventId(projectId, video.id, signal);
      const masklets = await listMasklets(video.id, signal);
      const frames = new Map<number, MaskletFrame[]>();
      const prompts = new Map<number, Awaited<ReturnType<typeof listPrompts>>>();
      await Promise.all(
        masklets.map(async (m) => {
          frames.set(m.id, await listMaskletFrames(m.id, {}, signal));
          prompts.set(m.id, await listPrompts(m.id, signal));
        }),
      );
      dispatch({ type: 'loaded', masklets, frames, prompts });
      setLoad({ status: 'done' });
      const jobs = await listPropagations(video.id, signal);
      const active = jobs.filter(isJobActive).sort((a, b) => b.id - a.id)[0];
      if (active) setJob(active);
      if (signal.aborted) return;
      streamHandle = new EventStream({
        projectId,
        videoId: video.id,
        after,
        onEvents: (events) => handleEventsRef.current(events),
        onStatus: setStream,
      });
    })().catch((e: unknown) => {
      if (!signal.aborted) setLoad({ status: 'error', error: e });
    });
    return () => {
      controller.abort();
      streamHandle?.close();
    };
  }, [dispatch, projectId, video.id, loadGeneration]);
  const reloadAll = useCallback(() => {
    setLoad({ status: 'loading' });
    setLoadGeneration((g) => g + 1);
  }, []);

  // SAM 2's availability: at start and now and then (a worker may come up later).
  useEffect(() => {
    const controller = new AbortController();
    const check = () =>
      getSam2Status(controller.signal).then(setSam2, (e: unknown) => {
        if (!isAbortError(e)) setSam2(null);
      });
    void check();
    const timer = setInterval(() => void check(), SAM2_POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, []);

  // While a propagation runs, also poll it: progress keeps moving if the websocket is down, and
  // the end is noticed. At the end, the job's objects are fetched again whole.
  const jobActive = job !== null && isJobActive(job);
  const jobId = job?.id;
  useEffect(() => {
    if (!jobActive || jobId === undefined) return;
    const timer = setInterval(() => {
      getPropagation(jobId).then(
        (fresh) => setJob((now) => (now?.id === fresh.id ? fresh : now)),
        () => undefined,
      );
    }, JOB_POLL_MS);
    return () => clearInterval(timer);
  }, [jobActive, jobId]);
  const finishedJob = useRef<number | null>(null);
  useEffect(() => {
    if (job === null || isJobActive(job) || finishedJob.current === job.id) return;
    finishedJob.current = job.id;
    for (const id of job.masklets ?? []) scheduleRefetch(id, [0, video.frame_count - 1], true);
  }, [job, scheduleRefetch, video.frame_count]);

  // ---- writes ------------------------------------------------------------------------------------

  /**
   * Run a write. A lost connection keeps it (the local state already shows it) and retries it,
   * on a timer and when the browser comes back online; a 409 offers reload or re-apply.
   */
  const runWrite = useCallback(
    (description: string, maskletId: number, write: () => Promise<void>, onDropped?: () => void) => {
      const attempt = (): void => {
        write().then(
          () => {
            setPending((p) => (p?.description === description ? null : p));
          },
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
                  scheduleRefetch(maskletId, [0, video.frame_count - 1], true);
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
              showError(e);
            }
          },
        );
      };
      attempt();
    },
    [dispatch, masklet, refetchMasklet, refetchPrompts, scheduleRefetch, showError, video.frame_count],
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
    [],
  );

  /** Write one frame's mask (or delete it), optimistically. */
  const saveFrame = useCallback(
    (
      maskletId: number,
      frame: number,
      mask: { rle: CompressedRle; origin: FrameOrigin } | null,
      description: string,
      promptId?: number,
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
          const saved =
            promptId === undefined ? await writeMaskletFrames(maskletId, change) : await undoPrompt(promptId, change);
          dispatch({ type: 'maskletSaved', masklet: saved });
          dispatch({ type: 'localWriteSettled', maskletId, frameIndices: [frame] });
          if (promptId !== undefined) {
            const prompts = dataRef.current.prompts.get(maskletId) ?? [];
            dispatch({ type: 'promptsLoaded', maskletId, prompts: prompts.filter((p) => p.id !== promptId) });
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
    [dispatch, currentMask, masklet, runWrite],
  );

  const editMask = useCallback(
    (maskletId: number, frame: number, rle: CompressedRle, kind: 'brush' | 'eraser') => {
      setInfo(null);
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
      saveFrame(maskletId, frame, { rle, origin: 'edited' }, `${describeChange({ kind, frame })}`);
    },
    [currentMask, saveFrame],
  );

  const prompt = useCallback(
    async (maskletId: number, frame: number, input: { points: PromptPoint[]; box?: PromptBox }) => {
      const kind: ChangeKind = input.box ? 'box' : 'click';
      if (sam2 !== null && !sam2.available) {
        setError('Clicks and boxes need SAM 2, which is not available (see above). The brush and eraser work.');
        return;
      }
      setInfo(null);
      const before = currentMask(maskletId, frame);
      setBusy(kind === 'box' ? 'SAM 2 is segmenting the box…' : 'SAM 2 is segmenting…');
      setError(null);
      const send = async (): Promise<void> => {
        const result = await addPrompt(maskletId, {
          frame_index: frame,
          points: input.points,
          ...(input.box ? { box: input.box } : {}),
          // A click adds to the frame's earlier clicks; a box starts the frame over.
          clear_old: input.box !== undefined,
        });
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
        setUndo((u) =>
          u.push({
            maskletId,
            frame,
            kind,
            before: before ? { rle: before.rle, origin: before.origin } : null,
            after: mask.rle,
            promptId: result.prompt.id,
          }),
        );
      };
      try {
        await send();
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) {
          setSam2({ available: false, workers: 0, message: e.message });
          setError(e.message);
        } else if (e instanceof ApiError && e.isNetworkError) {
          const description = `${describeChange({ kind, frame })}`;
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
    [dispatch, currentMask, sam2, showError],
  );

  const undoLast = useCallback(() => {
    const entry = undoRef.current.last;
    const plan = planUndo(entry, entry ? currentMask(entry.maskletId, entry.frame)?.rle : undefined);
    if (plan.kind === 'empty') {
      setInfo('Nothing to undo.');
      return;
    }
    // Under review or accepted: the change stays on the stack, undoable once the object is sent back.
    const locked = undoAccess(entry, masklet(entry!.maskletId)?.status);
    if (!locked.enabled) {
      setInfo(`${locked.title}.`);
      return;
    }
    setUndo((u) => u.pop());
    if (plan.kind === 'stale') {
      setError(plan.reason);
      return;
    }
    const description = `undo of the ${describeChange(entry!)}`;
    saveFrame(plan.maskletId, plan.frame, plan.kind === 'write' ? plan.mask : null, description, plan.promptId);
    setInfo(`Undid the ${describeChange(entry!)}.`);
  }, [currentMask, masklet, saveFrame]);

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
                void refetchMasklet(id);
              },
              reapply: () => {
                setConflict(null);
                void refetchMasklet(id).then(attempt);
              },
            });
          } else showError(e);
        }
      };
      await attempt();
    },
    [dispatch, masklet, refetchMasklet, showError],
  );

  // ---- propagation -------------------------------------------------------------------------------

  const propagate = useCallback(
    async (maskletIds: number[], startFrame: number, direction: Direction, limit: number | null) => {
      if (jobRef.current !== null && isJobActive(jobRef.current)) {
        setInfo('A propagation is already running; cancel it or wait for it.');
        return;
      }
      if (maskletIds.length === 0) {
        setError('Nothing to propagate: click on an object first (propagation starts from its clicks).');
        return;
      }
      try {
        setError(null);
        setJob(
          await createPropagation(video.id, {
            masklet_ids: maskletIds,
            start_frame: startFrame,
            direction,
            ...propagationRange(startFrame, direction, limit, video.frame_count),
          }),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) setSam2({ available: false, workers: 0, message: e.message });
        showError(e);
      }
    },
    [showError, video.frame_count, video.id],
  );

  const cancelJob = useCallback(async () => {
    const current = jobRef.current;
    if (current === null) return;
    try {
      setJob(await cancelPropagation(current.id));
    } catch (e) {
      showError(e);
    }
  }, [showError]);

  return {
    data,
    load,
    reloadAll,
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
    pending,
    conflict,
    sam2,
    job,
    dismissJob: () => setJob(null),
    stream,
    prompt,
    editMask,
    undoLast,
    addObject,
    updateObject,
    deleteObject,
    propagate,
    cancelJob,
  };
}

export type Workspace = ReturnType<typeof useWorkspace>;
