import type { Dashboard } from '../../api/quality';
import { formatNumber, formatPercent, formatSeconds } from '../quality/dashboardData';

/**
 * The automatic pipeline's yield on the QA dashboard, as SA-V's data engine reported it: auto
 * masklets proposed, accepted as they were, rejected (turned into manual tasks), and annotator
 * time per corrected masklet against per manual masklet.
 */
export function AutomaticYield({ data }: { data: Dashboard['automatic'] }) {
  return (
    <section className="card" aria-label="Automatic pipeline">
      <h2>Automatic pipeline</h2>
      {data.proposed === 0 ? (
        <p className="muted">No auto-annotation has run in this project yet.</p>
      ) : (
        <dl className="facts">
          <div>
            <dt>Proposed</dt>
            <dd>{formatNumber(data.proposed)}</dd>
          </div>
          <div>
            <dt>Awaiting a verdict</dt>
            <dd>{formatNumber(data.awaiting)}</dd>
          </div>
          <div>
            <dt>Accepted</dt>
            <dd>
              {formatNumber(data.accepted)} <span className="muted">({formatPercent(data.acceptance_rate)})</span>
            </dd>
          </div>
          <div>
            <dt>Rejected (manual tasks)</dt>
            <dd>{formatNumber(data.rejected)}</dd>
          </div>
          <div>
            <dt>Time per corrected masklet</dt>
            <dd>
              {formatSeconds(data.seconds_per_corrected_masklet)}{' '}
              <span className="muted">({formatNumber(data.corrected_masklets)} masklets)</span>
            </dd>
          </div>
          <div>
            <dt>Time per manual masklet</dt>
            <dd>
              {formatSeconds(data.seconds_per_manual_masklet)}{' '}
              <span className="muted">({formatNumber(data.manual_masklets)} masklets)</span>
            </dd>
          </div>
        </dl>
      )}
    </section>
  );
}
