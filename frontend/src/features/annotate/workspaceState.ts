/**
 * What the workspace knows about a video's objects: masklets, their frame masks and prompts. A pure
 * reducer, so local edits, API answers and live events all go through the same, tested rules.
 */
import type { Masklet, MaskletFrame, Prompt } from '../../api/masklets';

export interface WorkspaceData {
  /** Ordered by id (creation order). */
  masklets: readonly Masklet[];
  frames: ReadonlyMap<number, ReadonlyMap<number, MaskletFrame>>;
  prompts: ReadonlyMap<number, readonly Prompt[]>;
}

export type WorkspaceAction =
  | { type: 'loaded'; masklets: Masklet[]; frames: Map<number, MaskletFrame[]>; prompts: Map<number, Prompt[]> }
  | { type: 'maskletSaved'; masklet: Masklet }
  | { type: 'maskletRemoved'; id: number }
  /** The server's masks for frames [start, end): frames in the range that are not listed are gone. */
  | { type: 'framesLoaded'; maskletId: number; start: number; end: number; frames: MaskletFrame[] }
  /** Masks changed here (optimistically, before the server confirms). */
  | { type: 'framesSet'; maskletId: number; frames: MaskletFrame[]; deleted: number[] }
  | { type: 'promptsLoaded'; maskletId: number; prompts: Prompt[] }
  /** A version learnt from an event; never goes backwards. */
  | { type: 'versionSeen'; maskletId: number; version: number };

export const EMPTY_WORKSPACE: WorkspaceData = { masklets: [], frames: new Map(), prompts: new Map() };

function byFrame(frames: Iterable<MaskletFrame>): Map<number, MaskletFrame> {
  const map = new Map<number, MaskletFrame>();
  for (const f of frames) map.set(f.frame_index, f);
  return map;
}

export function workspaceReducer(state: WorkspaceData, action: WorkspaceAction): WorkspaceData {
  switch (action.type) {
    case 'loaded': {
      const frames = new Map<number, ReadonlyMap<number, MaskletFrame>>();
      for (const [id, list] of action.frames) frames.set(id, byFrame(list));
      return { masklets: [...action.masklets].sort((a, b) => a.id - b.id), frames, prompts: new Map(action.prompts) };
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
      return { masklets: state.masklets.filter((m) => m.id !== action.id), frames, prompts };
    }
    case 'framesLoaded': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      const next = new Map(state.frames.get(action.maskletId) ?? []);
      for (const index of [...next.keys()]) {
        if (index >= action.start && index < action.end) next.delete(index);
      }
      for (const f of action.frames) next.set(f.frame_index, f);
      return { ...state, frames: new Map(state.frames).set(action.maskletId, next) };
    }
    case 'framesSet': {
      if (!state.masklets.some((m) => m.id === action.maskletId)) return state;
      const next = new Map(state.frames.get(action.maskletId) ?? []);
      for (const index of action.deleted) next.delete(index);
      for (const f of action.frames) next.set(f.frame_index, f);
      return { ...state, frames: new Map(state.frames).set(action.maskletId, next) };
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
