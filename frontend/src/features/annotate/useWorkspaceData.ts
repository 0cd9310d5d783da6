/**
 * The workspace's data: the video's objects, their masks, prompts and review pins. Loaded with the
 * workspace bundle (one request for the first view, whatever the number of objects; a long video's
 * masks follow in frame ranges), then kept current from the project's event stream: what others
 * change is fetched again (coalesced: a propagation sends many small events).
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import { EventStream, type StreamStatus } from '../../api/eventStream';
import {
  getMasklet,
  getWorkspaceBundle,
  listMaskletFrames,
  listPrompts,
  type Masklet,
  type MaskletFrame,
  type Prompt,
  type ProjectEvent,
  type PropagationJob,
  type ReviewPin,
  type WorkspaceBundle,
} from '../../api/masklets';
import { listComments } from '../../api/reviews';
import type { ReadyVideo } from '../../api/videos';
import { EMPTY_WORKSPACE, rangeOf, workspaceReducer, type WorkspaceAction, type WorkspaceData } from './workspaceState';

export type LoadState = { status: 'loading' } | { status: 'done' } | { status: 'error'; error: unknown };

/** A propagation job's news from an event: what changed of it. */
export type JobUpdate = Partial<PropagationJob> & { id: number };

const REFETCH_DELAY_MS = 150;
/** The first view's masks start a little before the frame the workspace opens on (stepping back). */
const FIRST_VIEW_BEFORE = 32;

function byMasklet<T extends { masklet: number }>(rows: readonly T[]): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.masklet);
    if (list === undefined) grouped.set(row.masklet, [row]);
    else list.push(row);
  }
  return grouped;
}

function framesOf(bundle: WorkspaceBundle): Map<number, MaskletFrame[]> {
  return byMasklet(bundle.masks);
}

export type BundleFetcher = (range: { start: number; end?: number }) => Promise<WorkspaceBundle>;

/**
 * The masks the first answer left out, page by page: from where it stopped to the end of the
 * video, then from frame 0 up to where it began. `onPage` gets each answer as it comes.
 */
export async function loadRestOfBundle(
  first: WorkspaceBundle,
  fetch: BundleFetcher,
  onPage: (page: WorkspaceBundle) => void,
  aborted: () => boolean,
): Promise<void> {
  const pages = async (start: number | null, end?: number) => {
    while (start !== null && !aborted()) {
      const page = await fetch(end === undefined ? { start } : { start, end });
      onPage(page);
      start = end !== undefined && page.frame_end >= end ? null : page.next_start;
    }
  };
  await pages(first.next_start);
  if (first.frame_start > 0) await pages(0, first.frame_start);
}

export function useWorkspaceData(options: {
  video: ReadyVideo;
  projectId: number;
  userId: number;
  initialFrame: number;
  onJobEvent: (update: JobUpdate) => void;
  onMaskletRemoved: (id: number) => void;
}) {
  const { video, projectId, userId, initialFrame } = options;
  // Async callbacks (answers, events, retries) read the newest state through this ref, updated as
  // each action is applied (a callback right after a dispatch sees it), not at the next render.
  const dataRef = useRef<WorkspaceData>(EMPTY_WORKSPACE);
  const [data, setData] = useState<WorkspaceData>(EMPTY_WORKSPACE);
  const dispatch = useCallback((action: WorkspaceAction) => {
    const next = workspaceReducer(dataRef.current, action);
    if (next === dataRef.current) return;
    dataRef.current = next;
    setData(next);
  }, []);
  const [load, setLoad] = useState<LoadState>({ status: 'loading' });
  const [pins, setPins] = useState<ReadonlyMap<number, readonly ReviewPin[]>>(new Map());
  const [stream, setStream] = useState<StreamStatus>('connecting');
  const refetchQueue = useRef(new Map<number, { start: number; end: number; masklet: boolean }>());
  const refetchTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const callbacks = useRef(options);
  useLayoutEffect(() => {
    callbacks.current = options;
  });

  const masklet = useCallback(
    (id: number): Masklet | undefined => dataRef.current.masklets.find((m) => m.id === id),
    [],
  );

  const refetchMasklet = useCallback(
    async (id: number) => {
      try {
        dispatch({ type: 'maskletSaved', masklet: await getMasklet(id) });
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          dispatch({ type: 'maskletRemoved', id });
          callbacks.current.onMaskletRemoved(id);
        }
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

  /** Fetch a masklet's frames (and the masklet) again soon, coalescing with what is queued. */
  const scheduleRefetch = useCallback(
    (id: number, frames: readonly number[], maskletToo: boolean) => {
      const range = rangeOf(frames);
      const queued = refetchQueue.current.get(id);
      const start = Math.min(queued?.start ?? Infinity, range?.start ?? Infinity);
      const end = Math.max(queued?.end ?? -Infinity, range?.end ?? -Infinity);
      refetchQueue.current.set(id, {
        start: Number.isFinite(start) ? start : 0,
        end: Number.isFinite(end) ? end : 0,
        masklet: (queued?.masklet ?? false) || maskletToo,
      });
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

  const refetchPins = useCallback((id: number) => {
    listComments(id).then(
      (comments) =>
        setPins((all) =>
          new Map(all).set(
            id,
            comments.map((c) => ({ masklet: id, frame_index: c.frame_index, resolved: c.resolved })),
          ),
        ),
      () => undefined,
    );
  }, []);

  const handleEvents = useCallback(
    (events: ProjectEvent[]) => {
      for (const event of events) {
        const p = event.payload;
        const id = typeof p['masklet'] === 'number' ? p['masklet'] : null;
        switch (event.kind) {
          case 'masklet.created':
          case 'masklet.updated':
            if (id !== null) void refetchMasklet(id);
            break;
          case 'masklet.status': // submitted, judged (with pinned comments), overridden
            if (id !== null) {
              void refetchMasklet(id);
              refetchPins(id);
            }
            break;
          case 'masklet.deleted':
            if (id !== null) {
              dispatch({ type: 'maskletRemoved', id });
              callbacks.current.onMaskletRemoved(id);
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
          case 'automask.progress': // an auto-annotation's propagated batch of new auto masklets
            for (const [id, frames] of writtenFrames(p)) scheduleRefetch(id, frames, true);
            break;
          case 'propagation.frames': {
            for (const [id, frames] of writtenFrames(p)) scheduleRefetch(id, frames, true);
            if (typeof p['job'] === 'number') {
              callbacks.current.onJobEvent({
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
              callbacks.current.onJobEvent({
                id: p['job'],
                status,
                frames_done: Number(p['frames_done'] ?? 0),
                frames_total: Number(p['frames_total'] ?? 0),
                ...(typeof p['error'] === 'string' ? { error: p['error'] } : {}),
                // propagation.done of a run that re-propagated only what changed: where it stopped.
                ...(Array.isArray(p['stops']) ? { stops: p['stops'] as PropagationJob['stops'] } : {}),
              });
            }
        }
      }
    },
    [dispatch, masklet, refetchMasklet, refetchPins, refetchPrompts, scheduleRefetch, userId],
  );
  const handleEventsRef = useRef(handleEvents);
  useLayoutEffect(() => {
    handleEventsRef.current = handleEvents;
  }, [handleEvents]);

  // The first view in one request, the rest of the masks by frame range, then the live stream from
  // the first answer's cursor: whatever changed meanwhile is replayed (refetches are idempotent).
  const [loadGeneration, setLoadGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let streamHandle: EventStream | null = null;
    const firstStart = Math.max(0, Math.min(initialFrame, video.frame_count - 1) - FIRST_VIEW_BEFORE);
    (async () => {
      const first = await getWorkspaceBundle(video.id, { start: firstStart }, signal);
      dispatch({
        type: 'loaded',
        masklets: first.masklets,
        frames: framesOf(first),
        prompts: byMasklet<Prompt>(first.prompts),
      });
      setPins(byMasklet(first.pins));
      setLoad({ status: 'done' });
      let asOf = dataRef.current.writeSeq;
      await loadRestOfBundle(
        first,
        (range) => {
          // Frames written here after this point are not in the answer: it must not undo them.
          asOf = dataRef.current.writeSeq;
          return getWorkspaceBundle(video.id, range, signal);
        },
        (page) =>
          dispatch({ type: 'rangeLoaded', start: page.frame_start, end: page.frame_end, frames: framesOf(page), asOf }),
        () => signal.aborted,
      );
      if (signal.aborted) return;
      streamHandle = new EventStream({
        projectId,
        videoId: video.id,
        after: first.cursor,
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
    // The frame only seeds the first view; reloading keeps it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dispatch, projectId, video.id, video.frame_count, loadGeneration]);

  const reloadAll = useCallback(() => {
    setLoad({ status: 'loading' });
    setLoadGeneration((g) => g + 1);
  }, []);

  return {
    data,
    dataRef,
    dispatch,
    load,
    reloadAll,
    pins,
    stream,
    masklet,
    refetchMasklet,
    scheduleRefetch,
    refetchPrompts,
  };
}

export type WorkspaceDataApi = ReturnType<typeof useWorkspaceData>;

/** The frames a propagated batch wrote, per masklet id (`propagation.frames`, `automask.progress`). */
export function writtenFrames(payload: Record<string, unknown>): [number, number[]][] {
  const written = payload['frames'];
  if (typeof written !== 'object' || written === null) return [];
  return Object.entries(written as Record<string, unknown>)
    .filter((entry): entry is [string, number[]] => Array.isArray(entry[1]))
    .map(([key, frames]) => [Number(key), frames]);
}
