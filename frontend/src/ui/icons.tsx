/** Transport icons as inline SVG: media-control glyphs (⏮ ⏭) are missing from many system fonts. */

const common = { width: 16, height: 16, viewBox: '0 0 16 16', fill: 'currentColor', 'aria-hidden': true } as const;

export function FirstIcon() {
  return (
    <svg {...common}>
      <rect x="2" y="3" width="2" height="10" />
      <path d="M14 3v10L5 8z" />
    </svg>
  );
}

export function PrevIcon() {
  return (
    <svg {...common}>
      <path d="M12 3v10L3 8z" />
    </svg>
  );
}

export function NextIcon() {
  return (
    <svg {...common}>
      <path d="M4 3v10l9-5z" />
    </svg>
  );
}

export function LastIcon() {
  return (
    <svg {...common}>
      <path d="M2 3v10l9-5z" />
      <rect x="12" y="3" width="2" height="10" />
    </svg>
  );
}

export function PlayIcon() {
  return (
    <svg {...common}>
      <path d="M4 2v12l10-6z" />
    </svg>
  );
}

export function PauseIcon() {
  return (
    <svg {...common}>
      <rect x="3" y="2" width="3.5" height="12" />
      <rect x="9.5" y="2" width="3.5" height="12" />
    </svg>
  );
}
