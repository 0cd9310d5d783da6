import { Link } from 'react-router';
import { listProjects, type Project } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { CreateProjectForm } from './CreateProjectForm';
import { formatDate, roleLabel } from './format';

export function ProjectListPage() {
  useDocumentTitle('Projects');
  const { state, reload } = useAsync((signal) => listProjects(signal), []);

  return (
    <section className="page">
      <h1>Projects</h1>
      <CreateProjectForm />
      {state.status === 'loading' && <p className="muted">Loading projects…</p>}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {state.status === 'done' && <ProjectTable projects={state.data} />}
    </section>
  );
}

function ProjectTable({ projects }: { projects: Project[] }) {
  if (projects.length === 0) {
    return <p className="muted">You are not in any project yet. Create one, or ask a manager to add you.</p>;
  }
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Your role</th>
          <th>Description</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {projects.map((project) => (
          <tr key={project.id}>
            <td>
              <Link to={`/projects/${project.id}`}>{project.name}</Link>
            </td>
            <td>{roleLabel(project.my_role)}</td>
            <td className="cell-description">{project.description}</td>
            <td>{formatDate(project.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
