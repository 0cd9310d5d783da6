/**
 * Frame arithmetic for the viewer. Frames are indexed from 0 to `frameCount - 1`, the same numbers
 * the API uses (tasks' frame ranges, prompts' frame_index), and are shown to people as such.
 */

/** Slack for float error in `time * fps` (e.g. 0.29 * 100 = 28.999999999999996 must be frame 29). */
const TIME_EPSILON_FRAMES = 1e-6;

/** Nearest valid frame index: integers only, inside `[0, frameCount - 1]`; 0 for an empty video. */
export function clampFrame(index: number, frameCount: number): number {
  if (frameCount <= 0 || Number.isNaN(index)) return 0;
  return Math.min(Math.max(Math.round(index), 0), frameCount - 1);
}

/** Presentation time in seconds at which frame `index` starts. */
export function frameToTime(index: number, fps: number): number {
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  return index / fps;
}

/** The frame on screen at `seconds` (the one whose display interval contains it), clamped. */
export function timeToFrame(seconds: number, fps: number, frameCount: number): number {
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  return clampFrame(Math.floor(seconds * fps + TIME_EPSILON_FRAMES), frameCount);
}

/**
 * Frames to load ahead of `current`, nearest first, in the playback `direction`; never past either
 * end and never `current` itself (the caller loads that one first).
 */
export function prefetchWindow(current: number, frameCount: number, ahead: number, direction: 1 | -1 = 1): number[] {
  const out: number[] = [];
  for (let k = 1; k <= ahead; k += 1) {
    const index = current + k * direction;
    if (index < 0 || index >= frameCount) break;
    out.push(index);
  }
  return out;
}

/** URL of one frame's JPEG from the API's `frame_url_template` (`/api/v1/videos/7/frames/{frame}.jpg`). */
export function frameUrl(template: string, index: number): string {
  if (!template.includes('{frame}')) throw new Error(`Frame URL template lacks {frame}: ${template}`);
  return template.replace('{frame}', String(index));
}

export type FrameInput = { ok: true; index: number } | { ok: false; message: string };

/**
 * A frame number as a person types it or a URL carries it: digits only (at most 9), else null.
 * The one parser of frame numbers (go-to-frame fields, ?frame= in links).
 */
export function parseFrameNumber(text: string): number | null {
  const trimmed = text.trim();
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : null;
}

/** Parse what a person typed into "go to frame"; says why when it is not a frame of this video. */
export function parseFrameInput(text: string, frameCount: number): FrameInput {
  const index = parseFrameNumber(text);
  if (index === null) return { ok: false, message: 'Enter a whole frame number.' };
  if (index >= frameCount) {
    return { ok: false, message: `Frames go from 0 to ${frameCount - 1}.` };
  }
  return { ok: true, index };
}

/** `mm:ss.cc` for a frame, to put frame numbers next to the time people see in other players. */
export function formatFrameTime(index: number, fps: number): string {
  const seconds = frameToTime(index, fps);
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${String(minutes).padStart(2, '0')}:${rest.toFixed(2).padStart(5, '0')}`;
}
