/** The auto-annotation form's values and how they become a request (pure, tested). */
import type { AutomaskRequest, GeneratorSettings, KeyFrameMode } from '../../api/automask';

/** SAM2AutomaticMaskGenerator's defaults (the form edits some of them). */
export const DEFAULT_SETTINGS: GeneratorSettings = {
  points_per_side: 32,
  points_per_batch: 64,
  pred_iou_thresh: 0.8,
  stability_score_thresh: 0.95,
  stability_score_offset: 1.0,
  mask_threshold: 0.0,
  box_nms_thresh: 0.7,
  crop_n_layers: 0,
  crop_nms_thresh: 0.7,
  crop_overlap_ratio: 512 / 1500,
  crop_n_points_downscale_factor: 1,
  min_mask_region_area: 0,
  use_m2m: false,
  multimask_output: true,
};

/** Auto masklets propagated together (the API's default). */
export const OBJECTS_PER_BATCH = 8;

export interface AutomaskForm {
  mode: KeyFrameMode;
  everySeconds: string;
  frames: string;
  pointsPerSide: string;
  predIouThresh: string;
  stabilityScoreThresh: string;
  boxNmsThresh: string;
  cropLayers: string;
  minRegionArea: string;
  maxMasklets: string;
  dedupIou: string;
}

/** SAM2AutomaticMaskGenerator's defaults, a cap of 50 auto masklets, duplicates above IoU 0.5. */
export const DEFAULT_FORM: AutomaskForm = {
  mode: 'first',
  everySeconds: '2',
  frames: '0',
  pointsPerSide: '32',
  predIouThresh: '0.8',
  stabilityScoreThresh: '0.95',
  boxNmsThresh: '0.7',
  cropLayers: '0',
  minRegionArea: '0',
  maxMasklets: '50',
  dedupIou: '0.5',
};

/** "0, 24 48" -> [0, 24, 48]; null when a part is not a whole number >= 0. */
export function parseFrames(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter((p) => p.length > 0);
  if (parts.length === 0) return null;
  const frames = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  return frames.every((f) => Number.isSafeInteger(f)) ? frames : null;
}

/** The request, or the first problem in words. */
export function toRequest(form: AutomaskForm): { request: AutomaskRequest } | { error: string } {
  const request: AutomaskRequest = {
    key_frame_mode: form.mode,
    settings: {
      ...DEFAULT_SETTINGS,
      points_per_side: Number(form.pointsPerSide),
      pred_iou_thresh: Number(form.predIouThresh),
      stability_score_thresh: Number(form.stabilityScoreThresh),
      box_nms_thresh: Number(form.boxNmsThresh),
      crop_n_layers: Number(form.cropLayers),
      min_mask_region_area: Number(form.minRegionArea),
    },
    max_masklets: Number(form.maxMasklets),
    dedup_iou: Number(form.dedupIou),
    objects_per_batch: OBJECTS_PER_BATCH,
  };
  const numbers: unknown[] = [request.max_masklets, request.dedup_iou, ...Object.values(request.settings ?? {})];
  if (numbers.some((n) => typeof n === 'number' && !Number.isFinite(n))) {
    return { error: 'Every setting must be a number.' };
  }
  if (form.mode === 'every') {
    const seconds = Number(form.everySeconds);
    if (!Number.isFinite(seconds) || seconds <= 0) return { error: 'Give the seconds between key frames.' };
    request.every_s = seconds;
  }
  if (form.mode === 'listed') {
    const frames = parseFrames(form.frames);
    if (frames === null) return { error: 'List key frames as frame numbers, e.g. "0, 48, 96".' };
    request.frames = frames;
  }
  return { request };
}
