/**
 * The workspace's address: /videos/:videoId/annotate?masklet=<id>&frame=<n>. `masklet` selects
 * that object on load, `frame` seeks there; both are optional, and a value that is not a number
 * of the right kind is ignored (the workspace then opens as without it).
 */
import { parseFrameNumber } from '../../lib/frames';

export interface WorkspaceTarget {
  masklet: number | null;
  frame: number | null;
}
const ID = /^[1-9]\d{0,15}$/;

/** `frame` is clamped to the video's last frame when that is given. */
export function parseWorkspaceParams(params: URLSearchParams, lastFrame?: number): WorkspaceTarget {
  const masklet = params.get('masklet');
  const frame = params.get('frame');
  const n = frame === null ? null : parseFrameNumber(frame);
  return {
    masklet: masklet !== null && ID.test(masklet) ? Number(masklet) : null,
    frame: n === null || lastFrame === undefined ? n : Math.min(n, Math.max(0, lastFrame)),
  };
}

/** The query parameters for a target (frame first, as the workspace has always written it). */
export function workspaceSearch(target: Partial<WorkspaceTarget>): Record<string, string> {
  const search: Record<string, string> = {};
  if (target.frame !== undefined && target.frame !== null) search['frame'] = String(target.frame);
  if (target.masklet !== undefined && target.masklet !== null) search['masklet'] = String(target.masklet);
  return search;
}

export function workspacePath(videoId: number, target: Partial<WorkspaceTarget> = {}): string {
  const query = new URLSearchParams(workspaceSearch(target)).toString();
  return `/videos/${videoId}/annotate${query ? `?${query}` : ''}`;
}
