/**
 * automask/ endpoints: a manager starts SAM 2's automatic mask generation on a video (auto
 * masklets, propagated and sent to verification), everyone follows its progress, a manager
 * cancels it. Types derive from the generated schema.
 */
import { apiRequest, type Page } from './client';
import type { JobStatus } from './masklets';
import type { Narrowed, Schemas } from './types';

export type KeyFrameMode = 'first' | 'every' | 'listed';

export type AutomaskJob = Narrowed<Schemas['AutomaskJobOutput'], { status: JobStatus; key_frame_mode: KeyFrameMode }>;

export type AutomaskRequest = Schemas['AutomaskJobCreateApiInputRequest'];

export type GeneratorSettings = Schemas['GeneratorSettingsRequest'];

export function isAutomaskActive(job: Pick<AutomaskJob, 'status'>): boolean {
  return job.status === 'queued' || job.status === 'running';
}

export function startAutomask(videoId: number, request: AutomaskRequest): Promise<AutomaskJob> {
  return apiRequest<AutomaskJob>(`videos/${videoId}/automask/create/`, { method: 'POST', body: request });
}

/** The video's auto-annotation jobs, newest first (the first page is plenty for the panel). */
export async function listAutomaskJobs(videoId: number, signal?: AbortSignal): Promise<AutomaskJob[]> {
  const page = await apiRequest<Page<AutomaskJob>>(`videos/${videoId}/automask/`, { signal });
  return page.results;
}

export function getAutomaskJob(jobId: number, signal?: AbortSignal): Promise<AutomaskJob> {
  return apiRequest<AutomaskJob>(`automask/${jobId}/`, { signal });
}

export function cancelAutomask(jobId: number): Promise<AutomaskJob> {
  return apiRequest<AutomaskJob>(`automask/${jobId}/cancel/`, { method: 'POST' });
}
