/** projects/ endpoints: projects and their settings, members, labels and tasks. */
import { apiRequest, listAll } from './client';
import type { Schemas } from './types';

export type Project = Schemas['ProjectOutput'];
export type ProjectRole = Project['my_role'];
export type ProjectSettings = Schemas['PatchedProjectSettingsRequest'];
export type UserRef = Schemas['UserBrief'];
export type Member = Schemas['MembershipOutput'];
/** `{id, name, color, order, hotkey}`: colour `#rrggbb`, hotkey 1-9 or null (unique per project). */
export type Label = Schemas['LabelOutput'];
export type LabelInput = Schemas['PatchedLabelInputRequest'];
/** A video (or frames [frame_start, frame_end) of it; null end = to its last frame) for one annotator. */
export type Task = Schemas['TaskOutput'];
export type TaskStage = Task['stage'];
export type TaskProgress = Task['progress'];

export const ROLES: readonly ProjectRole[] = ['manager', 'annotator', 'reviewer'];

export function listProjects(signal?: AbortSignal): Promise<Project[]> {
  return listAll<Project>('projects/', signal);
}

export function getProject(projectId: number, signal?: AbortSignal): Promise<Project> {
  return apiRequest<Project>(`projects/${projectId}/`, { signal });
}

export function createProject(input: Schemas['ProjectSettingsRequest']): Promise<Project> {
  return apiRequest<Project>('projects/create/', { method: 'POST', body: { ...input } });
}

export function updateProject(projectId: number, change: ProjectSettings): Promise<Project> {
  return apiRequest<Project>(`projects/${projectId}/update/`, { method: 'PATCH', body: { ...change } });
}

export function listMembers(projectId: number, signal?: AbortSignal): Promise<Member[]> {
  return listAll<Member>(`projects/${projectId}/members/`, signal);
}

export function addMember(projectId: number, username: string, role: ProjectRole): Promise<Member> {
  return apiRequest<Member>(`projects/${projectId}/members/add/`, { method: 'POST', body: { username, role } });
}

export function changeRole(memberId: number, role: ProjectRole): Promise<Member> {
  return apiRequest<Member>(`members/${memberId}/`, { method: 'PATCH', body: { role } });
}

export function removeMember(memberId: number): Promise<void> {
  return apiRequest<void>(`members/${memberId}/`, { method: 'DELETE' });
}

export function listLabels(projectId: number, signal?: AbortSignal): Promise<Label[]> {
  return listAll<Label>(`projects/${projectId}/labels/`, signal);
}

export function createLabel(projectId: number, input: Schemas['LabelInputRequest']): Promise<Label> {
  return apiRequest<Label>(`projects/${projectId}/labels/create/`, { method: 'POST', body: { ...input } });
}

export function updateLabel(labelId: number, change: LabelInput): Promise<Label> {
  return apiRequest<Label>(`labels/${labelId}/`, { method: 'PATCH', body: { ...change } });
}

export function deleteLabel(labelId: number): Promise<void> {
  return apiRequest<void>(`labels/${labelId}/`, { method: 'DELETE' });
}

/** Puts the project's labels in this order (every label, once). */
export function reorderLabels(projectId: number, labelIds: number[]): Promise<Label[]> {
  return apiRequest<Label[]>(`projects/${projectId}/labels/reorder/`, {
    method: 'POST',
    body: { label_ids: labelIds },
  });
}

export function listTasks(projectId: number, signal?: AbortSignal): Promise<Task[]> {
  return listAll<Task>(`projects/${projectId}/tasks/`, signal);
}

/** One task per assignee (username, or null for an unassigned part), in frame order. */
export function splitTasks(projectId: number, input: Schemas['TaskSplitApiInputRequest']): Promise<Task[]> {
  return apiRequest<Task[]>(`projects/${projectId}/tasks/split/`, { method: 'POST', body: { ...input } });
}

/** Gives the tasks to `assignee` (a username), or unassigns them with null. */
export function assignTasks(projectId: number, taskIds: number[], assignee: string | null): Promise<Task[]> {
  return apiRequest<Task[]>(`projects/${projectId}/tasks/assign/`, {
    method: 'POST',
    body: { task_ids: taskIds, assignee },
  });
}

// Partial: a PATCH may leave out any field (the schema lists frame_start as required because it has a default).
export function updateTask(taskId: number, change: Partial<Schemas['PatchedTaskInputRequest']>): Promise<Task> {
  return apiRequest<Task>(`tasks/${taskId}/`, { method: 'PATCH', body: { ...change } });
}

export function deleteTask(taskId: number): Promise<void> {
  return apiRequest<void>(`tasks/${taskId}/`, { method: 'DELETE' });
}

export function canManage(project: Pick<Project, 'my_role'>): boolean {
  return project.my_role === 'manager';
}
