import { describeError } from '../api/client';

/** An error in plain words, with a retry button when the caller can retry. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="error-message" role="alert">
      <span>{typeof error === 'string' ? error : describeError(error)}</span>
      {onRetry && (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
