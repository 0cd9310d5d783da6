import { useState } from 'react';
import { Link, NavLink, Navigate, useParams } from 'react-router';
import { canManage, getProject, type Project } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';
import { LabelsTab } from './LabelsTab';
import { MembersTab } from './MembersTab';
import { SettingsTab } from './SettingsTab';
import { TasksTab } from './TasksTab';
import './manage.css';

const TABS = [
  { id: 'settings', title: 'Settings' },
  { id: 'members', title: 'Members' },
  { id: 'labels', title: 'Labels' },
  { id: 'tasks', title: 'Tasks' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** `/projects/:id/manage/:tab`: a manager runs the project here (settings, team, labels, tasks). */
export function ManagePage() {
  const params = useParams();
  const projectId = parseId(params.projectId);
  const tab = TABS.find((t) => t.id === params.tab)?.id;
  if (projectId === null) return <NotFoundPage />;
  if (tab === undefined) return <Navigate to={`/projects/${projectId}/manage/settings`} replace />;
  return <ManageView key={projectId} projectId={projectId} tab={tab} />;
}

function ManageView({ projectId, tab }: { projectId: number; tab: TabId }) {
  const { state, reload } = useAsync((signal) => getProject(projectId, signal), [projectId]);
  // The settings as last saved here, so that saving does not reload the page.
  const [saved, setSaved] = useState<Project | null>(null);
  const title = TABS.find((t) => t.id === tab)?.title ?? '';
  useDocumentTitle(state.status === 'done' ? `${title} · ${state.data.name}` : title);
  if (state.status === 'loading') return <p className="page-status">Loading project…</p>;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  const project = saved ?? state.data;
  if (!canManage(project)) {
    return (
      <section className="page">
        <ErrorMessage error="Only the project's managers can change its settings, members, labels and tasks." />
        <Link to={`/projects/${project.id}`}>Back to the project</Link>
      </section>
    );
  }
  return (
    <section className="page manage-page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> / Manage
      </p>
      <nav className="tabs" aria-label="Manage the project">
        {TABS.map((t) => (
          <NavLink key={t.id} to={`/projects/${project.id}/manage/${t.id}`} className="tab">
            {t.title}
          </NavLink>
        ))}
        <span className="tabs-spacer" />
        <Link to={`/projects/${project.id}/export`}>Export</Link>
        <Link to={`/projects/${project.id}/import`}>Import</Link>
      </nav>
      {tab === 'settings' && <SettingsTab project={project} onSaved={setSaved} />}
      {tab === 'members' && <MembersTab project={project} />}
      {tab === 'labels' && <LabelsTab project={project} />}
      {tab === 'tasks' && <TasksTab project={project} />}
    </section>
  );
}
