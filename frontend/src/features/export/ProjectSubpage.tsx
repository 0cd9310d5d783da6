import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import type { Project } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { parseId } from '../routeParams';

/**
 * A page under `/projects/:projectId/…`: loads its data (the project among it), then shows the
 * breadcrumb, the heading and `children(data)`. Keyed by the project, so no page ever shows
 * another project's data while loading.
 */
export function ProjectSubpage<T extends { project: Project }>(props: {
  title: string;
  heading: string;
  load: (projectId: number, signal: AbortSignal) => Promise<T>;
  children: (data: T) => ReactNode;
}) {
  const projectId = parseId(useParams().projectId);
  if (projectId === null) return <NotFoundPage />;
  return <Loaded key={projectId} projectId={projectId} {...props} />;
}

function Loaded<T extends { project: Project }>({
  projectId,
  title,
  heading,
  load,
  children,
}: {
  projectId: number;
  title: string;
  heading: string;
  load: (projectId: number, signal: AbortSignal) => Promise<T>;
  children: (data: T) => ReactNode;
}) {
  const { state, reload } = useAsync((signal) => load(projectId, signal), [projectId]);
  useDocumentTitle(state.status === 'done' ? `${title} · ${state.data.project.name}` : title);
  if (state.status === 'loading') return <p className="page-status">Loading…</p>;
  if (state.status === 'error') return <ErrorMessage error={state.error} onRetry={reload} />;
  const { project } = state.data;
  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> / {title}
      </p>
      <h1>{heading}</h1>
      {children(state.data)}
    </section>
  );
}
