/**
 * What the workspace knows about a video's objects: masklets, their frame masks and prompts. A pure
 * reducer, so local edits, API answers and live events all go through the same, tested rules.
 *
 * Local writes win over refetched data: a frame with a write of ours still on its way to the server
 * (or refused and waiting for the person to decide) keeps what was drawn here, and a refetch asked
 * before our last write to a frame was answered cannot know that write, so it leaves that frame
 * alone too. Once our write is acknowledged, data fetched after that applies as usual.
 */
import type { Masklet, MaskletFrame, Prompt } from '../../api/masklets';

export interface WorkspaceData {
  /** Ordered by id (creation order). */
  masklets: readonly Masklet[];
  frames: ReadonlyMap<number, ReadonlyMap<number, MaskletFrame>>;
  prompts: ReadonlyMap<number, readonly Prompt[]>;
  /** Frames written here, by masklet and frame: writes still unacknowledged, and when they changed. */
  local: ReadonlyMap<number, ReadonlyMap<number, LocalWrite>>;
  /** Counts local changes to frames; a refetch notes it when asked (`asOf`). */
  writeSeq: number;
}

export interface LocalWrite {
  /** Writes of this frame sent (or kept for a retry) and not acknowledged or dropped yet. */
  pending: number;
  /** `writeSeq` of the last local change to the frame (a write begun, acknowledged or dropped). */
  seq: number;
}

export type WorkspaceAction =
  | { type: 'loaded'; masklets: Masklet[]; frames: Map<number, MaskletFrame[]>; prompts: Map<number, Prompt[]> }
  | { type: 'maskletSaved'; masklet: Masklet }
  | { type: 'maskletRemoved'; id: number }
  /**
   * The server's masks for frames [start, end): frames in the range that are not listed are gone.
   * `asOf`: the state's `writeSeq` when the request was sent; frames written here since, or with a
   * write still pending, keep the local mask.
   */
  | { type: 'framesLoaded'; maskletId: number; start: number; end: number; frames: MaskletFrame[]; asOf: number }
  /** `framesLoaded` for every masklet at once (a page of the workspace bundle). */
  | { type: 'rangeLoaded'; start: number; end: number; frames: ReadonlyMap<number, MaskletFrame[]>; asOf: number }
  /** Masks the server gave in answer to a request of ours (a click's mask). */
  | { type: 'framesSet'; maskletId: number; frames: MaskletFrame[]; deleted: number[] }
  /** A local write begins: shown at once (optimistically), and protected until it settles. */
  | { type: 'localWriteStarted'; maskletId: number; frames: MaskletFrame[]; deleted: number[] }
  /**
   * A local write settled: acknowledged by the server, or dropped (then `restore` puts back what
   * the frames showed before it).
   */
  | {
      type: 'localWriteSettled';
      maskletId: number;
      frameIndices: number[];
      restore?: { frames: MaskletFrame[]; deleted: number[] };
    }
  /** Every unacknowledged write of a masklet given up (the person chose to reload the object). */
  | { type: 'localWritesDropped'; maskletId: number }
  | { type: 'promptsLoaded'; maskletId: number; prompts: Prompt[] }
  /** A version learnt from an event; never goes backwards. */
  | { type: 'versionSeen'; maskletId: number; version: number };

export const EMPTY_WORKSPACE: WorkspaceData = {
  masklets: [],
  frames: new Map(),
  prompts: new Map(),
  local: new Map(),
  writeSeq: 0,
};

function byFrame(frames: Iterable<MaskletFrame>): Map<number, MaskletFrame> {
  const map = new Map<number, MaskletFrame>();
  for (const f of frames) map.set(f.frame_index, f);
  return map;
}

/** Whether server data asked for at `asOf` may replace a frame's mask (null `asOf`: only pending writes count). */
function serverMayReplace(write: LocalWrite | undefined, asOf: number | null): boolean {
  if (write === undefined) return true;
  if (write.pending > 0) return false;
  return asOf === null || write.seq <= asOf;
}

function withFrames(
  current: ReadonlyMap<number, MaskletFrame> | undefined,
  frames: readonly MaskletFrame[],
  deleted: readonly number[],
): Map<number, MaskletFrame> {
  const next = new Map(current ?? []);
  for (const index of deleted) next.delete(index);
  for (const f of frames) next.set(f.frame_index, f);
  return next;
}

/** Mark frames as changed here now, and add `pendingDelta` to their unacknowledged writes. */
function touch(state: WorkspaceData, maskletId: number, indices: readonly number[], pendingDelta: number) {
  const writeSeq = state.writeSeq + 1;
  const mine = new Map(state.local.get(maskletId) ?? []);
  for (const index of indices) {
    const pending = Math.max(0, (mine.get(index)?.pending ?? 0) + pendingDelta);
    mine.set(index, { pending, seq: writeSeq });
  }
  return { writeSeq, local: new Map(state.local).set(maskletId, mine) };
}

/** A masklet's frames with [start, end) replaced by the server's, except frames written here since `asOf`. */
function rangeReplaced(
  state: WorkspaceData,
  maskletId: number,
  range: { start: number; end: number; frames: readonly MaskletFrame[]; asOf: number },
): Map<number, MaskletFrame> {
  const mine = state.local.get(maskletId);
  const replaceable = (index: number) => serverMayReplace(mine?.get(index), range.asOf);
  const next = new Map(state.frames.get(maskletId) ?? []);
  for (const index of [...next.keys()]) {
    if (index >= range.start && index < range.end && replaceable(index)) next.delete(index);
  }
  for (const f of range.frames) if (replaceable(f.frame_index)) next.set(f.frame_index, f);
  return next;
}

export function workspaceReducer(state: WorkspaceData, action: WorkspaceAction): WorkspaceData {
  switch (action.type) {
    case 'loaded': {
      const frames = new Map<number, ReadonlyMap<number, MaskletFrame>>();
      for (const [id, list] of action.frames) {
        const loaded = byFrame(list);
        // A write still on its way keeps its frame as drawn here (present or deleted).
        for (const [index, write] of state.local.get(id) ?? []) {
          if (write.pending === 0) continue;
          const mine = state.frames.get(id)?.get(index);
          if (mine === undefined) loaded.delete(index);
          else loaded.set(index, mine);
        }
        frames.set(id, loaded);
      }
      return {
        masklets: [...action.masklets].sort((a, b) => a.id - b.id),
        frames,
        prompts: new Map(action.prompts),
        local: state.local,
        writeSeq: state.writeSeq,
      };
    }
    case 'maskletSaved': {
      const existing = state.masklets.find((m) => m.id === action.masklet.id);
      // An older answer arriving late must not roll the version (or the name) back.
      if (existing !== undefined && existing.version > action.masklet.version) return state;
      const masklets = existing
        ? state.masklets.map((m) => (m.id === action.masklet.id ? action.masklet : m))
        : [...state.masklets, action.masklet].sort((a, b) => a.id - b.id);
      const frames = state.frames.has(action.masklet.id)
        ? state.frames
        : new Map(state.frames).set(action.masklet.id, new Map());
      return { ...state, masklets, frames };
    }
    case 'maskletRemoved': {
      if (!state.masklets.some((m) => m.id === action.id)) return state;
      const frames = new Map(state.frames);
      frames.delete(action.id);
      const prompts = new Map(state.prompts);
      prompts.delete(action.id);
      const local = new Map(state.local);
      local.delete(action.id);
      return { ...state, masklets: state.masklets.filter((m) => m.id !== action.id), frames, prompts, local };
    }
    case 'framesLoaded': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      const frames = new Map(state.frames);
      frames.set(action.maskletId, rangeReplaced(state, action.maskletId, action));
      return { ...state, frames };
    }
    case 'rangeLoaded': {
      const frames = new Map(state.frames);
      for (const m of state.masklets) {
        frames.set(m.id, rangeReplaced(state, m.id, { ...action, frames: action.frames.get(m.id) ?? [] }));
      }
      return { ...state, frames };
    }
    case 'framesSet': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      // Newer than any refetch already on its way; a pending write of the frame still wins.
      const mine = state.local.get(action.maskletId);
      const free = (index: number) => serverMayReplace(mine?.get(index), null);
      const next = withFrames(
        state.frames.get(action.maskletId),
        action.frames.filter((f) => free(f.frame_index)),
        action.deleted.filter(free),
      );
      const indices = [...action.frames.map((f) => f.frame_index), ...action.deleted];
      return {
        ...state,
        frames: new Map(state.frames).set(action.maskletId, next),
        ...touch(state, action.maskletId, indices, 0),
      };
    }
    case 'localWriteStarted': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      const next = withFrames(state.frames.get(action.maskletId), action.frames, action.deleted);
      const indices = [...action.frames.map((f) => f.frame_index), ...action.deleted];
      return {
        ...state,
        frames: new Map(state.frames).set(action.maskletId, next),
        ...touch(state, action.maskletId, indices, 1),
      };
    }
    case 'localWriteSettled': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      const frames = action.restore
        ? new Map(state.frames).set(
            action.maskletId,
            withFrames(state.frames.get(action.maskletId), action.restore.frames, action.restore.deleted),
          )
        : state.frames;
      return { ...state, frames, ...touch(state, action.maskletId, action.frameIndices, -1) };
    }
    case 'localWritesDropped': {
      const mine = state.local.get(action.maskletId);
      if (mine === undefined) return state;
      const next = new Map<number, LocalWrite>();
      for (const [index, write] of mine) next.set(index, { ...write, pending: 0 });
      return { ...state, local: new Map(state.local).set(action.maskletId, next) };
    }
    case 'promptsLoaded': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      return { ...state, prompts: new Map(state.prompts).set(action.maskletId, action.prompts) };
    }
    case 'versionSeen': {
      const masklet = state.masklets.find((m) => m.id === action.maskletId);
      if (masklet === undefined || masklet.version >= action.version) return state;
      return {
        ...state,
        masklets: state.masklets.map((m) => (m.id === action.maskletId ? { ...m, version: action.version } : m)),
      };
    }
  }
}

/** Frame range `[start, end)` covering a list of frame indices, or null for an empty list. */
export function rangeOf(indices: readonly number[]): { start: number; end: number } | null {
  if (indices.length === 0) return null;
  let start = Infinity;
  let end = -Infinity;
  for (const i of indices) {
    start = Math.min(start, i);
    end = Math.max(end, i + 1);
  }
  return { start, end };
}

/** Pick a distinct colour for a new object: the first palette colour no object uses yet. */
export const PALETTE = [
  '#e6194b',
  '#3cb44b',
  '#4363d8',
  '#f58231',
  '#911eb4',
  '#42d4f4',
  '#f032e6',
  '#bfef45',
  '#469990',
  '#9a6324',
];

export function nextColor(used: readonly string[]): string {
  const taken = new Set(used.map((c) => c.toLowerCase()));
  return PALETTE.find((c) => !taken.has(c)) ?? (PALETTE[used.length % PALETTE.length] as string);
}
