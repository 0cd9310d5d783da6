import type { ProjectRole } from '../../api/projects';
import type { VideoStatus } from '../../api/videos';

const ROLE_LABELS: Record<ProjectRole, string> = {
  manager: 'Manager',
  annotator: 'Annotator',
  reviewer: 'Reviewer',
};

export function roleLabel(role: ProjectRole): string {
  return ROLE_LABELS[role] ?? role;
}

const STATUS_LABELS: Record<VideoStatus, string> = {
  uploaded: 'Queued for processing',
  processing: 'Extracting frames',
  ready: 'Ready',
  failed: 'Failed',
};

export function videoStatusLabel(status: VideoStatus): string {
  return STATUS_LABELS[status] ?? status;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

/** Human file size in binary units (what file managers show). */
export function formatBytes(bytes: number): string {
  if (!(bytes >= 0)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `12.3 s` style duration from frames and fps; empty when fps is unknown. */
export function formatDuration(frameCount: number, fps: number): string {
  if (!(fps > 0)) return '';
  const seconds = frameCount / fps;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** 24, 25, 29.97: whole rates without decimals, NTSC-style ones with two. */
export function formatFps(fps: number): string {
  return Number.isInteger(fps) ? String(fps) : fps.toFixed(2);
}

/** A task's frames, from its exclusive `frame_end` (null: to the end of the video). */
export function formatTaskFrames(frameStart: number, frameEnd: number | null): string {
  return frameEnd === null ? `${frameStart} – end` : `${frameStart} – ${frameEnd - 1}`;
}
