/**
 * masklets/ endpoints (objects, their per-frame masks and prompts), propagation jobs, SAM 2's
 * availability and the project event log. Types derive from the generated schema (api/types.ts).
 */
import type { CompressedRle } from '../lib/rle';
import { apiRequest, listAll, type Page } from './client';
import type { Narrowed, Schemas } from './types';

export type MaskletStatus = 'draft' | 'submitted' | 'accepted' | 'rejected' | 'reworked';

/** Statuses whose masks can change; submitted and accepted masklets are under review or done. */
export function isMaskletEditable(status: MaskletStatus): boolean {
  return status === 'draft' || status === 'rejected' || status === 'reworked';
}
export type FrameOrigin = 'click' | 'propagated' | 'edited' | 'imported';

/** An object's masks across the video. `version` is bumped by every change; writes send the
 * version they started from (409 when stale). */
export type Masklet = Narrowed<Schemas['MaskletOutput'], { status: MaskletStatus }>;

/** One frame's mask; `bbox` is `[x, y, width, height]` in pixels. */
export type MaskletFrame = Narrowed<
  Schemas['MaskletFrame'],
  { rle: CompressedRle; origin: FrameOrigin; score: number | null }
>;

/** `[x, y, label]`, x and y normalised to [0, 1]; label 1 positive, 0 negative. */
export type PromptPoint = [number, number, 0 | 1];
/** `[x0, y0, x1, y1]` normalised to [0, 1]. */
export type PromptBox = [number, number, number, number];

export type Prompt = Narrowed<Schemas['PromptOutput'], { points: PromptPoint[]; box: PromptBox | null }>;

export type PromptResult = Narrowed<
  Schemas['PromptAddApiOutput'],
  { prompt: Prompt; mask: Narrowed<Schemas['PromptMask'], { rle: CompressedRle }> }
>;

export type Direction = 'forward' | 'backward' | 'both';
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export type PropagationJob = Narrowed<Schemas['JobOutput'], { direction: Direction; status: JobStatus }>;

export function isJobActive(job: Pick<PropagationJob, 'status'>): boolean {
  return job.status === 'queued' || job.status === 'running';
}

/**
 * `state`: ready | busy (propagating; clicks wait a frame) | starting (a worker loads the model,
 * or re-announces itself after a broker restart) | not_installed | offline; `message`: what it
 * means for the annotator, and what to do.
 */
export type Sam2Status = Schemas['Sam2StatusApiOutput'];
export type Sam2State = Sam2Status['state'];

/** A mask of the workspace bundle: a masklet's frame, with the masklet it belongs to. */
export type WorkspaceMask = MaskletFrame & { masklet: number };

/** A frame a reviewer pinned a comment to. */
export type ReviewPin = Schemas['ReviewPin'];

/**
 * Everything the workspace shows of a video, in one request (backend/masklets/workspace.py):
 * every mask of frames [frame_start, frame_end), the rest from `next_start` on; `cursor` is the
 * log position to listen after.
 */
export type WorkspaceBundle = Narrowed<
  Schemas['WorkspaceBundleApiOutput'],
  { masklets: Masklet[]; masks: WorkspaceMask[]; prompts: Prompt[] }
>;

export function getWorkspaceBundle(
  videoId: number,
  range: { start: number; end?: number },
  signal?: AbortSignal,
): Promise<WorkspaceBundle> {
  return apiRequest<WorkspaceBundle>(`videos/${videoId}/workspace/`, {
    query: { start: range.start, end: range.end },
    signal,
  });
}

/** One entry of the project's event log; `seq` is its position, given in commit order: resume
 * from the last one seen. */
export type ProjectEvent = Narrowed<Schemas['EventOutput'], { payload: Record<string, unknown> }>;

export function listMasklets(videoId: number, signal?: AbortSignal): Promise<Masklet[]> {
  return listAll<Masklet>(`videos/${videoId}/masklets/`, signal);
}

export function getMasklet(maskletId: number, signal?: AbortSignal): Promise<Masklet> {
  return apiRequest<Masklet>(`masklets/${maskletId}/`, { signal });
}

export interface MaskletCreateInput {
  task_id?: number;
  label_id?: number;
  name?: string;
  color?: string;
}

export function createMasklet(videoId: number, input: MaskletCreateInput): Promise<Masklet> {
  return apiRequest<Masklet>(`videos/${videoId}/masklets/create/`, { method: 'POST', body: { ...input } });
}

export function updateMasklet(
  maskletId: number,
  input: { version: number; name?: string; color?: string; label_id?: number | null },
): Promise<Masklet> {
  return apiRequest<Masklet>(`masklets/${maskletId}/`, { method: 'PATCH', body: { ...input } });
}

export function deleteMasklet(maskletId: number, version: number): Promise<void> {
  return apiRequest<void>(`masklets/${maskletId}/`, { method: 'DELETE', query: { version } });
}

/** Masks of frames `start` (inclusive) to `end` (exclusive); every page. */
export async function listMaskletFrames(
  maskletId: number,
  range: { start?: number; end?: number } = {},
  signal?: AbortSignal,
): Promise<MaskletFrame[]> {
  const frames: MaskletFrame[] = [];
  for (let page = 1; ; page += 1) {
    const data = await apiRequest<Page<MaskletFrame>>(`masklets/${maskletId}/frames/`, {
      query: { page, page_size: 500, start: range.start, end: range.end },
      signal,
    });
    frames.push(...data.results);
    if (data.next === null || data.results.length === 0) return frames;
  }
}

export interface FrameWrite {
  frame_index: number;
  rle: CompressedRle;
  origin?: FrameOrigin;
}

/** A frames write's answer: the masklet with its new version, and for each frame written as a
 * person's edit the SAM 2 log entry that gave it to SAM 2 (what an undo of the edit names). */
export type MaskletFramesWritten = Narrowed<
  Schemas['MaskletFramesApiWritten'],
  { status: MaskletStatus; edit_actions: Record<string, number> }
>;

/** Upsert and delete frame masks as one versioned change; answers the masklet with its new version. */
export function writeMaskletFrames(
  maskletId: number,
  input: { version: number; frames: FrameWrite[]; delete_frames: number[] },
  signal?: AbortSignal,
): Promise<MaskletFramesWritten> {
  return apiRequest<MaskletFramesWritten>(`masklets/${maskletId}/frames/`, {
    method: 'PUT',
    body: {
      version: input.version,
      frames: input.frames.map((f) => ({
        frame_index: f.frame_index,
        rle: { size: [...f.rle.size], counts: f.rle.counts },
        ...(f.origin ? { origin: f.origin } : {}),
      })),
      delete_frames: input.delete_frames,
    },
    signal,
  });
}

/** Takes a click or box back as if it had never been given: the prompt leaves the masklet and
 * the video's SAM 2 state, and the server puts back the frame's mask from before it. */
export function undoPrompt(promptId: number, input: { version: number }): Promise<Masklet> {
  return apiRequest<Masklet>(`prompts/${promptId}/undo/`, { method: 'POST', body: { version: input.version } });
}

/** Takes a brush or eraser edit back as if it had never been made (`seq`: the edit's entry in
 * the SAM 2 log, from the write's `edit_actions`); the server puts back the frame's mask. */
export function undoEdit(maskletId: number, seq: number, input: { version: number }): Promise<Masklet> {
  return apiRequest<Masklet>(`masklets/${maskletId}/edits/${seq}/undo/`, {
    method: 'POST',
    body: { version: input.version },
  });
}

export function listPrompts(maskletId: number, signal?: AbortSignal): Promise<Prompt[]> {
  return listAll<Prompt>(`masklets/${maskletId}/prompts/`, signal);
}

export function addPrompt(
  maskletId: number,
  input: { frame_index: number; points: PromptPoint[]; box?: PromptBox; clear_old: boolean },
): Promise<PromptResult> {
  return apiRequest<PromptResult>(`masklets/${maskletId}/prompts/add/`, {
    method: 'POST',
    body: {
      frame_index: input.frame_index,
      points: input.points.map((p) => [...p]),
      ...(input.box ? { box: [...input.box] } : {}),
      clear_old: input.clear_old,
    },
  });
}

export function createPropagation(
  videoId: number,
  input: {
    masklet_ids: number[];
    start_frame: number;
    direction: Direction;
    frame_start?: number;
    frame_end?: number;
    /** Re-propagate only what changed: stop where the masks agree again with the stored ones. */
    until_agreement?: boolean;
  },
): Promise<PropagationJob> {
  return apiRequest<PropagationJob>(`videos/${videoId}/propagations/create/`, {
    method: 'POST',
    body: {
      masklet_ids: input.masklet_ids,
      start_frame: input.start_frame,
      direction: input.direction,
      ...(input.frame_start !== undefined ? { frame_start: input.frame_start } : {}),
      ...(input.frame_end !== undefined ? { frame_end: input.frame_end } : {}),
      ...(input.until_agreement ? { until_agreement: true } : {}),
    },
  });
}

export function getPropagation(jobId: number, signal?: AbortSignal): Promise<PropagationJob> {
  return apiRequest<PropagationJob>(`propagations/${jobId}/`, { signal });
}

export function cancelPropagation(jobId: number): Promise<PropagationJob> {
  return apiRequest<PropagationJob>(`propagations/${jobId}/cancel/`, { method: 'POST' });
}

export function listPropagations(videoId: number, signal?: AbortSignal): Promise<PropagationJob[]> {
  return listAll<PropagationJob>(`videos/${videoId}/propagations/`, signal);
}

/** The frame an annotator rests on: the SAM 2 worker holding the video encodes it ahead. */
export function postFrameShown(videoId: number, frameIndex: number): Promise<{ encoding: boolean }> {
  return apiRequest<{ encoding: boolean }>(`videos/${videoId}/frames/shown/`, {
    method: 'POST',
    body: { frame_index: frameIndex },
  });
}

export function getSam2Status(signal?: AbortSignal): Promise<Sam2Status> {
  return apiRequest<Sam2Status>('sam2/status/', { signal });
}

/** Events after position `after` (the REST fallback of the websocket), one page. */
export function listEvents(
  projectId: number,
  query: { after: number; video?: number },
  signal?: AbortSignal,
): Promise<Page<ProjectEvent>> {
  return apiRequest<Page<ProjectEvent>>(`projects/${projectId}/events/`, {
    query: { after: query.after, video: query.video, page_size: 500 },
    signal,
  });
}

/**
 * Log position (`seq`) of the newest event of this video (0 when none): the workspace reads it
 * before loading the masks, then listens from there, so nothing that happens after the load is
 * missed.
 */
export async function latestEventId(projectId: number, videoId: number, signal?: AbortSignal): Promise<number> {
  const first = await apiRequest<Page<ProjectEvent>>(`projects/${projectId}/events/`, {
    query: { after: 0, video: videoId, page_size: 1 },
    signal,
  });
  if (first.count === 0) return 0;
  const last = await apiRequest<Page<ProjectEvent>>(`projects/${projectId}/events/`, {
    query: { after: 0, video: videoId, page_size: 1, page: first.count },
    signal,
  });
  return last.results[0]?.seq ?? 0;
}
