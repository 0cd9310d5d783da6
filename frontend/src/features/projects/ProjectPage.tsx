import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { canManage, getProject, type Project } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { ConsensusAssignForm } from '../quality/ConsensusAssignForm';
import { parseId } from '../routeParams';
import { roleLabel } from './format';
import { LabelsPanel, MembersPanel, TasksPanel } from './ProjectPanels';
import { UploadForm } from './UploadForm';
import { usePolledVideos } from './usePolledVideos';
import { VideoTable } from './VideoTable';

export function ProjectPage() {
  const projectId = parseId(useParams().projectId);
  if (projectId === null) return <NotFoundPage />;
  return <ProjectView key={projectId} projectId={projectId} />;
}

function ProjectView({ projectId }: { projectId: number }) {
  const { state, reload } = useAsync((signal) => getProject(projectId, signal), [projectId]);
  useDocumentTitle(state.status === 'done' ? state.data.name : 'Project');

  if (state.status === 'loading') return <p className="page-status">Loading project…</p>;
  if (state.status === 'error') {
    return (
      <section className="page">
        <p>
          <Link to="/">← Projects</Link>
        </p>
        <ErrorMessage error={state.error} onRetry={reload} />
      </section>
    );
  }
  return <ProjectContent project={state.data} />;
}

function ProjectContent({ project }: { project: Project }) {
  const videos = usePolledVideos(project.id);
  const [tasksVersion, setTasksVersion] = useState(0); // bumped to reload the tasks panel
  const seesQuality = project.my_role === 'manager' || project.my_role === 'reviewer';

  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/">Projects</Link> / {project.name}
      </p>
      <div className="page-title">
        <h1>{project.name}</h1>
        <span className="badge">{roleLabel(project.my_role)}</span>
        {canManage(project) && <Link to={`/projects/${project.id}/manage/settings`}>Manage</Link>}
        {seesQuality && <Link to={`/projects/${project.id}/quality`}>Quality dashboard</Link>}
        {seesQuality && <Link to={`/projects/${project.id}/review`}>Review queue</Link>}
        <Link to={`/projects/${project.id}/export`}>Export</Link>
        {canManage(project) && <Link to={`/projects/${project.id}/import`}>Import</Link>}
      </div>
      {project.description && <p className="description">{project.description}</p>}
      {project.guidelines && (
        <details className="card guidelines">
          <summary>Annotation guidelines</summary>
          <p className="description">{project.guidelines}</p>
        </details>
      )}
      <dl className="facts">
        <div>
          <dt>Annotate every</dt>
          <dd>{project.frame_step === 1 ? 'frame' : `${project.frame_step} frames`}</dd>
        </div>
        <div>
          <dt>Verifications per masklet</dt>
          <dd>{project.verifications_required}</dd>
        </div>
        <div>
          <dt>Consensus annotators</dt>
          <dd>{project.consensus_k}</dd>
        </div>
      </dl>

      {canManage(project) && <UploadForm projectId={project.id} onUploaded={videos.addVideo} />}
      {canManage(project) && project.consensus_k > 1 && (
        <ConsensusAssignForm
          project={project}
          videos={videos.videos}
          onAssigned={() => setTasksVersion((v) => v + 1)}
        />
      )}

      <section className="card">
        <h2>Videos</h2>
        {videos.refreshError && <ErrorMessage error={videos.refreshError} />}
        {videos.loadError !== null && <ErrorMessage error={videos.loadError} onRetry={videos.reload} />}
        {videos.videos === null && videos.loadError === null && <p className="muted">Loading videos…</p>}
        {videos.videos !== null && (
          <VideoTable
            videos={videos.videos}
            qualityLink={seesQuality ? (project.consensus_k > 1 ? 'Consensus' : 'Ground truth') : undefined}
            onDeleted={canManage(project) ? videos.reload : undefined}
          />
        )}
      </section>

      <div className="panels">
        <MembersPanel projectId={project.id} />
        <LabelsPanel projectId={project.id} />
        <TasksPanel key={tasksVersion} projectId={project.id} videos={videos.videos} />
      </div>
    </section>
  );
}
