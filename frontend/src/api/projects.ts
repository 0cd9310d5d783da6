/** projects/ endpoints: projects, members, labels, tasks. Hand-written types; see api/auth.ts. */
import { apiRequest, listAll } from './client';

export type ProjectRole = 'manager' | 'annotator' | 'reviewer';

export interface Project {
  id: number;
  name: string;
  description: string;
  /** Annotation instructions for the team (free text). */
  guidelines: string;
  my_role: ProjectRole;
  /** Annotate every Nth frame (SA-V annotates every 4th frame of 24 fps video). */
  frame_step: number;
  verifications_required: number;
  consensus_k: number;
  created_at: string;
}

export interface UserRef {
  id: number;
  username: string;
}

export interface Member {
  id: number;
  user: UserRef;
  role: ProjectRole;
}

export interface Label {
  id: number;
  name: string;
  /** CSS colour, `#rrggbb`. */
  color: string;
  /** Place in the project's label list (servers before labels had an order leave it out). */
  order?: number;
  /** Its key in the workspace, 1-9, or null for none (left out by servers without hotkeys). */
  hotkey?: number | null;
}

export interface Task {
  id: number;
  video: number;
  assignee: UserRef | null;
  stage: string;
  frame_start: number;
  /** Exclusive end; null means up to the video's last frame. */
  frame_end: number | null;
}

export function listProjects(signal?: AbortSignal): Promise<Project[]> {
  return listAll<Project>('projects/', signal);
}

export function getProject(projectId: number, signal?: AbortSignal): Promise<Project> {
  return apiRequest<Project>(`projects/${projectId}/`, { signal });
}

export function createProject(input: { name: string; description: string }): Promise<Project> {
  return apiRequest<Project>('projects/create/', { method: 'POST', body: input });
}

export function listMembers(projectId: number, signal?: AbortSignal): Promise<Member[]> {
  return listAll<Member>(`projects/${projectId}/members/`, signal);
}

export function listLabels(projectId: number, signal?: AbortSignal): Promise<Label[]> {
  return listAll<Label>(`projects/${projectId}/labels/`, signal);
}

export function listTasks(projectId: number, signal?: AbortSignal): Promise<Task[]> {
  return listAll<Task>(`projects/${projectId}/tasks/`, signal);
}

export function canManage(project: Pick<Project, 'my_role'>): boolean {
  return project.my_role === 'manager';
}
