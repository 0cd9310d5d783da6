import { useEffect, useRef } from 'react';
import { ALL_SHORTCUT_GROUPS } from './shortcuts';

/** Modal list of every keyboard shortcut, from the same table the key handlers use. */
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeButton.current?.focus();
    return () => previous?.focus();
  }, []);

  return (
    <div className="overlay-backdrop" onClick={onClose}>
      <div
        className="overlay"
        role="dialog"
        aria-modal="true"
        aria-labelledby="help-title"
        onClick={(event) => event.stopPropagation()}
      >
        <div className="overlay-header">
          <h2 id="help-title">Keyboard shortcuts</h2>
          <button ref={closeButton} type="button" className="button-secondary" onClick={onClose}>
            Close
          </button>
        </div>
        {ALL_SHORTCUT_GROUPS.map((group) => (
          <section key={group.title}>
            <h3>{group.title}</h3>
            <table className="shortcut-table">
              <tbody>
                {group.shortcuts.map((shortcut) => (
                  <tr key={shortcut.id}>
                    <td>
                      <kbd>{shortcut.label}</kbd>
                    </td>
                    <td>{shortcut.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
        <p className="muted">Shortcuts are off while you type in a text field.</p>
      </div>
    </div>
  );
}
