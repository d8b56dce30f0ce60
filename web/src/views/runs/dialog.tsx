/** A modal dialog for the runs views' actions: confirmations and small forms. */
import { type ReactNode, useEffect, useRef } from 'react';
import { ErrorBox } from '../../components/ui';
import './runs.css';

/**
 * A modal with a title, content, the API error of the last attempt (if any) and two buttons. Escape
 * and the Close button close it; the confirm button is disabled while `busy`.
 */
export function Dialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  error?: unknown;
  /** A red confirm button, for what cannot be undone. */
  danger?: boolean;
  confirmDisabled?: boolean;
  testId?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { onClose } = props;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    ref.current
      ?.querySelector<HTMLElement>('textarea, select, input, button.primary, button.danger')
      ?.focus();
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="dialog-backdrop">
      <div
        className={`dialog card${props.wide ? ' dialog-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid={props.testId}
        ref={ref}
      >
        <h2>{props.title}</h2>
        <div className="dialog-body">{props.children}</div>
        {props.error !== undefined && props.error !== null && <ErrorBox error={props.error} />}
        <div className="dialog-buttons">
          <button type="button" onClick={props.onClose}>
            Close
          </button>
          <button
            type="button"
            className={props.danger ? 'danger' : 'primary'}
            disabled={props.busy || props.confirmDisabled}
            onClick={props.onConfirm}
            data-testid="dialog-confirm"
          >
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

/** Parses the text of a JSON editor: the value, or the parse error's message. */
export function parseJsonInput(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
}
