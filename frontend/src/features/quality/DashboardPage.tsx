import { useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import {
  DASHBOARD_RANGES,
  DASHBOARD_STATUSES,
  dashboardCsvUrl,
  getDashboard,
  type AnnotatorStats,
  type Dashboard,
  type DashboardQuery,
  type DashboardStatus,
} from '../../api/quality';
import { getProject, type Project } from '../../api/projects';
import { ErrorMessage } from '../../ui/ErrorMessage';
import { NotFoundPage } from '../../ui/NotFoundPage';
import { useAsync } from '../../ui/useAsync';
import { useDocumentTitle } from '../../ui/useDocumentTitle';
import { AutomaticYield } from '../automask/AutomaticYield';
import { parseId } from '../routeParams';
import { BarChart, LineChart } from './charts';
import {
  fillThroughput,
  formatNumber,
  formatPercent,
  formatScore,
  formatSeconds,
  nextSort,
  shortDate,
  sortAnnotators,
  utcDate,
  type AnnotatorSortKey,
  type SortState,
} from './dashboardData';
import './quality.css';

const DEFAULT_DAYS = 30;

export const STATUS_LABELS: Record<DashboardStatus, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  accepted: 'Accepted',
  rejected: 'Rejected',
  reworked: 'Reworked',
};

const STATUS_COLORS: Record<DashboardStatus, string> = {
  draft: '#98a2b3',
  submitted: '#2f6fdb',
  accepted: '#067647',
  rejected: '#b42318',
  reworked: '#f79009',
};

/** /projects/:projectId/quality?days=30&annotator=ID — the QA dashboard (managers; reviewers read). */
export function DashboardPage() {
  const projectId = parseId(useParams().projectId);
  if (projectId === null) return <NotFoundPage />;
  return <DashboardLoader key={projectId} projectId={projectId} />;
}

function DashboardLoader({ projectId }: { projectId: number }) {
  const { state, reload } = useAsync((signal) => getProject(projectId, signal), [projectId]);
  useDocumentTitle(state.status === 'done' ? `Quality · ${state.data.name}` : 'Quality');
  if (state.status === 'loading') return <p className="page-status">Loading project…</p>;
  if (state.status === 'error') {
    return (
      <section className="page">
        <ErrorMessage error={state.error} onRetry={reload} />
      </section>
    );
  }
  if (state.data.my_role === 'annotator') {
    return (
      <section className="page">
        <Breadcrumb project={state.data} />
        <ErrorMessage error="The quality dashboard is for the project's managers and reviewers." />
      </section>
    );
  }
  return <DashboardView project={state.data} />;
}

function Breadcrumb({ project }: { project: Project }) {
  return (
    <p className="breadcrumb">
      <Link to="/">Projects</Link> / <Link to={`/projects/${project.id}`}>{project.name}</Link> / quality
    </p>
  );
}

/** The dashboard, and "today" when it arrived: the day axis ends on the day it was computed. */
async function loadDashboard(
  projectId: number,
  query: DashboardQuery,
  signal: AbortSignal,
): Promise<{ dashboard: Dashboard; today: string }> {
  const dashboard = await getDashboard(projectId, query, signal);
  return { dashboard, today: utcDate(Date.now()) };
}

function parseDays(value: string | null): number {
  const days = Number(value);
  return (DASHBOARD_RANGES as readonly number[]).includes(days) ? days : DEFAULT_DAYS;
}

function DashboardView({ project }: { project: Project }) {
  const [params, setParams] = useSearchParams();
  const days = parseDays(params.get('days'));
  const annotator = parseId(params.get('annotator') ?? undefined);
  const query = { days, annotator: annotator ?? undefined };
  const { state, reload } = useAsync(
    (signal) => loadDashboard(project.id, { days, annotator: annotator ?? undefined }, signal),
    [project.id, days, annotator],
  );

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    setParams(next, { replace: false });
  };

  const data = state.status === 'done' ? state.data.dashboard : null;
  const focused = annotator !== null ? data?.annotators.find((a) => a.user.id === annotator) : undefined;

  return (
    <section className="page dashboard-page">
      <Breadcrumb project={project} />
      <div className="page-title">
        <h1>Quality dashboard</h1>
        <span className="badge">{project.name}</span>
      </div>
      <div className="dashboard-toolbar">
        <div className="button-group" role="group" aria-label="Time range">
          {DASHBOARD_RANGES.map((range) => (
            <button
              key={range}
              type="button"
              className={range === days ? undefined : 'button-secondary'}
              aria-pressed={range === days}
              onClick={() => update({ days: String(range) })}
            >
              {range} days
            </button>
          ))}
        </div>
        {annotator !== null && (
          <p className="filter-chip" role="status">
            Showing <strong>{focused?.user.username ?? `user #${annotator}`}</strong> only{' '}
            <button type="button" className="button-secondary" onClick={() => update({ annotator: null })}>
              Show everyone
            </button>
          </p>
        )}
        <a className="button-link" href={dashboardCsvUrl(project.id, query)} download>
          Download CSV
        </a>
      </div>

      {state.status === 'loading' && <p className="muted">Loading the dashboard…</p>}
      {state.status === 'error' && <ErrorMessage error={state.error} onRetry={reload} />}
      {data !== null && (
        <DashboardBody
          data={data}
          days={days}
          today={state.status === 'done' ? state.data.today : utcDate(0)}
          onPickAnnotator={(id) => update({ annotator: String(id) })}
          selected={annotator}
        />
      )}
    </section>
  );
}

function DashboardBody({
  data,
  days,
  today,
  selected,
  onPickAnnotator,
}: {
  data: Dashboard;
  days: number;
  today: string;
  selected: number | null;
  onPickAnnotator: (id: number) => void;
}) {
  const throughput = useMemo(() => fillThroughput(data.throughput, days, today), [data, days, today]);
  const labels = throughput.map((p) => shortDate(p.date));
  const { totals } = data;
  const statusTotal = DASHBOARD_STATUSES.reduce((sum, s) => sum + (data.status_counts[s] ?? 0), 0);
  const range = throughput.length > 0 ? `${throughput[0]?.date} to ${throughput[throughput.length - 1]?.date}` : '';
  return (
    <>
      <dl className="facts dashboard-totals">
        <div>
          <dt>Masklets</dt>
          <dd>{formatNumber(totals.masklets)}</dd>
        </div>
        <div>
          <dt>Frames annotated</dt>
          <dd>{formatNumber(totals.frames_annotated)}</dd>
        </div>
        <div>
          <dt>Clicks</dt>
          <dd>{formatNumber(totals.clicks)}</dd>
        </div>
        <div>
          <dt>Active time</dt>
          <dd>{formatSeconds(totals.active_seconds)}</dd>
        </div>
        <div>
          <dt>Reviews</dt>
          <dd>{formatNumber(totals.reviews)}</dd>
        </div>
        <div>
          <dt>Unsatisfactory</dt>
          <dd>
            {formatNumber(totals.unsatisfactory)}
            <span className="muted">
              {' '}
              ({formatPercent(totals.reviews > 0 ? totals.unsatisfactory / totals.reviews : null)})
            </span>
          </dd>
        </div>
      </dl>

      <div className="dashboard-charts">
        <section className="card">
          <h2>Masklets by status</h2>
          <BarChart
            title="Masklets by status"
            description={`${statusTotal} masklets: ${DASHBOARD_STATUSES.map(
              (s) => `${data.status_counts[s] ?? 0} ${STATUS_LABELS[s].toLowerCase()}`,
            ).join(', ')}.`}
            data={DASHBOARD_STATUSES.map((s) => ({
              label: STATUS_LABELS[s],
              value: data.status_counts[s] ?? 0,
              color: STATUS_COLORS[s],
            }))}
          />
        </section>
        <section className="card">
          <h2>Frames annotated per day</h2>
          <BarChart
            title="Frames annotated per day"
            description={`Frames annotated each day from ${range}; ${formatNumber(
              throughput.reduce((s, p) => s + p.frames_annotated, 0),
            )} in all.`}
            data={throughput.map((p, i) => ({ label: labels[i] ?? p.date, value: p.frames_annotated }))}
          />
        </section>
        <section className="card dashboard-wide">
          <h2>Submitted and accepted masklets per day</h2>
          <LineChart
            title="Masklets submitted and accepted per day"
            description={`From ${range}: ${throughput.reduce((s, p) => s + p.submitted, 0)} submitted, ${throughput.reduce(
              (s, p) => s + p.accepted,
              0,
            )} accepted.`}
            labels={labels}
            series={[
              { name: 'Submitted', color: STATUS_COLORS.submitted, values: throughput.map((p) => p.submitted) },
              { name: 'Accepted', color: STATUS_COLORS.accepted, values: throughput.map((p) => p.accepted) },
            ]}
          />
        </section>
      </div>

      <section className="card">
        <h2>Annotators</h2>
        <AnnotatorTable rows={data.annotators} selected={selected} onPick={onPickAnnotator} />
      </section>

      <AutomaticYield data={data.automatic} />
    </>
  );
}

const COLUMNS: { key: AnnotatorSortKey; label: string; render: (row: AnnotatorStats) => string }[] = [
  { key: 'masklets', label: 'Masklets', render: (r) => formatNumber(r.masklets) },
  { key: 'accepted', label: 'Accepted', render: (r) => formatNumber(r.accepted) },
  { key: 'rejected', label: 'Rejected', render: (r) => formatNumber(r.rejected) },
  { key: 'frames_annotated', label: 'Frames', render: (r) => formatNumber(r.frames_annotated) },
  { key: 'clicks_per_masklet', label: 'Clicks / masklet', render: (r) => formatNumber(r.clicks_per_masklet, 1) },
  { key: 'active_seconds', label: 'Active time', render: (r) => formatSeconds(r.active_seconds) },
  { key: 'seconds_per_frame', label: 'Time / frame', render: (r) => formatSeconds(r.seconds_per_frame) },
  { key: 'rejection_rate', label: 'Rejection rate', render: (r) => formatPercent(r.rejection_rate) },
  { key: 'agreement_jf', label: 'Agreement J&F', render: (r) => formatScore(r.agreement_jf) },
  { key: 'ground_truth_jf', label: 'Ground truth J&F', render: (r) => formatScore(r.ground_truth_jf) },
];

function AnnotatorTable({
  rows,
  selected,
  onPick,
}: {
  rows: readonly AnnotatorStats[];
  selected: number | null;
  onPick: (id: number) => void;
}) {
  const [sort, setSort] = useState<SortState>({ key: 'masklets', direction: 'desc' });
  const sorted = useMemo(() => sortAnnotators(rows, sort), [rows, sort]);
  if (rows.length === 0) return <p className="muted">No annotator has worked in this range yet.</p>;

  const header = (key: AnnotatorSortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th
        key={key}
        className={key === 'username' ? undefined : 'cell-number'}
        aria-sort={active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
      >
        <button type="button" className="sort-button" onClick={() => setSort((s) => nextSort(s, key))}>
          {label}
          <span aria-hidden="true">{active ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <div className="table-scroll">
      <table className="data-table compact dashboard-table" data-testid="annotator-table">
        <thead>
          <tr>
            {header('username', 'Annotator')}
            {COLUMNS.map((c) => header(c.key, c.label))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={row.user.id} className={row.user.id === selected ? 'is-selected' : undefined}>
              <td>
                <button
                  type="button"
                  className="link-button"
                  title={`Show only ${row.user.username}'s work`}
                  onClick={() => onPick(row.user.id)}
                >
                  {row.user.username}
                </button>
              </td>
              {COLUMNS.map((c) => (
                <td key={c.key} className="cell-number">
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
