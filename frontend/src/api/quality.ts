/**
 * quality/ endpoints: the QA dashboard (and its CSV), consensus comparison and resolution, ground
 * truth and its scores, and the workspace's activity reports. Types derive from the generated
 * schema where the API's shapes are plain; the consensus ones accept more than it sends.
 */
import { ApiError, apiRequest, apiUrl, csrfToken, ensureCsrfToken, parseApiError } from './client';
import type { Masklet } from './masklets';
import type { Task, UserRef } from './projects';
import type { Narrowed, Schemas } from './types';

// ---- dashboard --------------------------------------------------------------------------------

export type DashboardStatus = 'draft' | 'submitted' | 'accepted' | 'rejected' | 'reworked';
export const DASHBOARD_STATUSES: readonly DashboardStatus[] = [
  'draft',
  'submitted',
  'accepted',
  'rejected',
  'reworked',
];

/** The ranges the dashboard offers (days back from today). */
export const DASHBOARD_RANGES = [7, 30, 90] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];

export type DashboardTotals = Schemas['DashboardOutputSerializerTotals'];

/**
 * One annotator's row (the schema describes each count). Ratios are null when there is nothing to
 * divide by; rejection_rate, agreement_jf (against the other annotators of consensus videos) and
 * ground_truth_jf are 0..1.
 */
export type AnnotatorStats = Schemas['DashboardOutputSerializerAnnotator'];

/** `date`: `YYYY-MM-DD` */
export type ThroughputPoint = Schemas['DashboardOutputSerializerThroughput'];

export type Dashboard = Narrowed<Schemas['DashboardOutput'], { status_counts: Record<DashboardStatus, number> }>;

export interface DashboardQuery {
  annotator?: number;
  days?: number;
}

export function getDashboard(projectId: number, query: DashboardQuery = {}, signal?: AbortSignal): Promise<Dashboard> {
  return apiRequest<Dashboard>(`projects/${projectId}/dashboard/`, {
    query: { annotator: query.annotator, days: query.days },
    signal,
  });
}

/** Where the annotators table downloads as CSV (the browser follows it with the session cookie). */
export function dashboardCsvUrl(projectId: number, query: DashboardQuery = {}): string {
  return apiUrl(`projects/${projectId}/dashboard.csv`, { annotator: query.annotator, days: query.days });
}

// ---- consensus --------------------------------------------------------------------------------

/** A masklet with the review fields the quality pages read (also on `Masklet` once reviews land). */
export type QualityMasklet = Masklet & {
  is_ground_truth?: boolean;
  consensus_discarded?: boolean;
};

/** The API lists an annotator's masklets by id; accept full objects too. */
export type MaskletRef = number | { id: number };

export interface ConsensusAnnotator {
  user: UserRef;
  task: number;
  masklets: MaskletRef[];
}

export type ConsensusMatch = Schemas['ConsensusMatch'];

export interface ConsensusPair {
  a: UserRef;
  b: UserRef;
  matches: ConsensusMatch[];
  unmatched_a: number[];
  unmatched_b: number[];
  /** Means over the matches; null when nothing matched. */
  j: number | null;
  f: number | null;
  jf: number | null;
}

export interface ConsensusGroup {
  masklets: number[];
  jf: number | null;
  /** The chosen version once resolved. */
  resolved: number | null;
}

export interface Consensus {
  k: number;
  annotators: ConsensusAnnotator[];
  pairs: ConsensusPair[];
  groups: ConsensusGroup[];
}

export function getConsensus(videoId: number, signal?: AbortSignal): Promise<Consensus> {
  return apiRequest<Consensus>(`videos/${videoId}/consensus/`, { signal });
}

export interface ConsensusResolution {
  chosen: Masklet;
  discarded: number[];
}

export function resolveConsensus(
  videoId: number,
  input: { chosen: number; discard: number[] },
): Promise<ConsensusResolution> {
  return apiRequest<ConsensusResolution>(`videos/${videoId}/consensus/resolve/`, {
    method: 'POST',
    body: { chosen: input.chosen, discard: [...input.discard] },
  });
}

/** Give a video to k annotators (the given ones, or the least loaded when `annotators` is omitted). */
export function assignConsensus(projectId: number, input: { video: number; annotators?: number[] }): Promise<Task[]> {
  return apiRequest<Task[]>(`projects/${projectId}/consensus/assign/`, {
    method: 'POST',
    body: input.annotators ? { video: input.video, annotators: [...input.annotators] } : { video: input.video },
  });
}

// ---- ground truth -----------------------------------------------------------------------------

export type GroundTruthScore = Schemas['GroundTruthScore'];

/** Mark exactly these masklets of the video as ground truth (the others stop being it). */
export function setGroundTruth(videoId: number, maskletIds: readonly number[]): Promise<{ masklets: number[] }> {
  return apiRequest<{ masklets: number[] }>(`videos/${videoId}/ground-truth/`, {
    method: 'POST',
    body: { masklets: [...maskletIds] },
  });
}

export function getGroundTruthScores(videoId: number, signal?: AbortSignal): Promise<GroundTruthScore[]> {
  return apiRequest<GroundTruthScore[]>(`videos/${videoId}/ground-truth/scores/`, { signal });
}

// ---- activity ---------------------------------------------------------------------------------

export interface ActivityReport {
  video: number;
  /** Whole seconds of active annotating, 1..300. */
  seconds: number;
  frame_index?: number;
}

/** Largest `seconds` one report may carry (the API answers 400 above it). */
export const ACTIVITY_MAX_SECONDS = 300;

/**
 * POST activity/. With `keepalive` the request outlives the page (sent on page hide): a beacon
 * cannot carry the CSRF header, a keepalive fetch can. When the CSRF cookie is already there the
 * request starts synchronously, before the page can go away.
 */
export async function postActivity(report: ActivityReport, options: { keepalive?: boolean } = {}): Promise<void> {
  if (csrfToken() === null) await ensureCsrfToken();
  const token = csrfToken();
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': 'application/json' };
  if (token !== null) headers['X-CSRFToken'] = token;
  const body: Record<string, number> = { video: report.video, seconds: report.seconds };
  if (report.frame_index !== undefined) body['frame_index'] = report.frame_index;
  let response: Response;
  try {
    response = await fetch(apiUrl('activity/'), {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: 'same-origin',
      keepalive: options.keepalive ?? false,
    });
  } catch {
    throw new ApiError('Cannot reach the server. Check your connection and try again.', 0);
  }
  if (!response.ok) throw parseApiError(response.status, await response.text().catch(() => ''));
}
