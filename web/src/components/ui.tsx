/** Small building blocks every view uses: page frame, status badge, loading and error states. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

/** A view's frame: title, optional actions on the right, content. */
export function Page(props: { title: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <section className="page" data-testid={props.testId}>
      <header className="page-head">
        <h1>{props.title}</h1>
        {props.actions && <div className="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A card with an optional title. */
export function Card(props: { title?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <div className={`card ${props.className ?? ''}`} data-testid={props.testId}>
      {props.title && <h2 className="card-title">{props.title}</h2>}
      {props.children}
    </div>
  );
}

/** A status (run, step, approval, alert, breaker) as a coloured pill; `data-status` carries the raw value. */
export function StatusBadge(props: { status: string }) {
  return (
    <span className={`badge status-${props.status.replaceAll('_', '-')}`} data-status={props.status}>
      {props.status.replaceAll('_', ' ')}
    </span>
  );
}

/** An error from the API, with its code, message and hint. */
export function ErrorBox(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError) {
    return (
      <div className="error" role="alert">
        <strong>{e.code}</strong> {e.message}
        {e.hint && <div className="muted">{e.hint}</div>}
      </div>
    );
  }
  return (
    <div className="error" role="alert">
      {(e as Error)?.message ?? String(e)}
    </div>
  );
}

/** Renders `children(data)` once a query has data; a spinner line before, the error if it failed. */
export function Loaded<T>(props: {
  query: { data: T | undefined; error: unknown; isPending: boolean };
  children: (data: T) => ReactNode;
}) {
  if (props.query.error) return <ErrorBox error={props.query.error} />;
  if (props.query.data === undefined) return <div className="muted loading-line">Loading…</div>;
  return <>{props.children(props.query.data)}</>;
}

/** Pretty JSON, scrollable, with a size cap so a huge payload cannot freeze the page. */
export function JsonView(props: { value: unknown; maxChars?: number }) {
  const text = JSON.stringify(props.value, null, 2) ?? 'undefined';
  const max = props.maxChars ?? 200_000;
  return (
    <pre className="json">
      {text.length > max
        ? `${text.slice(0, max)}\n… (${text.length - max} more characters; download to see all)`
        : text}
    </pre>
  );
}

/** Offers `value` as a JSON file download. */
export function downloadJson(filename: string, value: unknown): void {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
