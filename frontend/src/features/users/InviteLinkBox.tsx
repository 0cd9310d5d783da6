import { useState } from 'react';
import { inviteUrl, type InviteLink } from '../../api/users';

/** The one-time link, shown once: the server keeps only its hash. */
export function InviteLinkBox({
  username,
  link,
  onClose,
}: {
  username: string;
  link: InviteLink;
  onClose: () => void;
}) {
  const url = inviteUrl(link);
  const [copied, setCopied] = useState(false);
  return (
    <section className="card invite-box" aria-label="Invite link">
      <h2>Invite link for {username}</h2>
      <p className="muted">
        Send this link to {username}; it lets them choose a password once, until{' '}
        {new Date(link.expires_at).toLocaleString()}. It is shown only now — make a new one if it is lost.
      </p>
      <div className="inline-form">
        <input readOnly aria-label="Invite link" value={url} onFocus={(e) => e.target.select()} />
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(url).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="button-secondary" onClick={onClose}>
          Done
        </button>
      </div>
    </section>
  );
}
