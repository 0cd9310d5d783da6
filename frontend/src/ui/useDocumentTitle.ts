import { useEffect } from 'react';

const APP_NAME = 'SAM 2 Annotate';

export function useDocumentTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · ${APP_NAME}` : APP_NAME;
  }, [title]);
}

export { APP_NAME };
