/** The run's raw history: the latest events, filterable by step, and the whole of it as a JSON download. */
import { useState } from 'react';
import { useSession } from '../../auth/session';
import { formatTime } from '../../components/format';
import { downloadJson, ErrorBox, JsonView } from '../../components/ui';
import type { HistoryEvent } from '../runs/run-types';
import { loadRunHistory } from './run-model';

/** Events listed at once; the download has them all. */
const SHOWN = 300;

/**
 * The history table (newest last) and the download, which reads every page of
 * `GET /v1/runs/{id}/history` again so that the file is complete even while the run goes on.
 */
export function HistoryPanel(props: { runId: string; history: HistoryEvent[]; stepId?: string }) {
  const { api } = useSession();
  const [onlyStep, setOnlyStep] = useState(false);
  const [open, setOpen] = useState<number | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const filtered =
    onlyStep && props.stepId ? props.history.filter((e) => e.stepId === props.stepId) : props.history;
  const shown = filtered.slice(-SHOWN);

  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const all = await loadRunHistory(api, props.runId);
      downloadJson(`${props.runId}-history.json`, all);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="run-history">
      <div className="row history-bar">
        <span className="muted">
          {props.history.length} events
          {filtered.length > SHOWN && `; the latest ${SHOWN} shown`}
        </span>
        {props.stepId && (
          <label className="check">
            <input type="checkbox" checked={onlyStep} onChange={(e) => setOnlyStep(e.target.checked)} /> only
            step <code>{props.stepId}</code>
          </label>
        )}
        <button type="button" onClick={download} disabled={busy} data-testid="history-download">
          {busy ? 'Reading all pages…' : 'Download JSON'}
        </button>
      </div>
      {error !== undefined && <ErrorBox error={error} />}
      <div className="history-scroll">
        <table className="compact">
          <thead>
            <tr>
              <th className="num">Seq</th>
              <th>At</th>
              <th>Type</th>
              <th>Step</th>
              <th className="num">Item</th>
              <th className="num">Attempt</th>
              <th>Data</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr
                key={e.seq}
                className={e.data === undefined ? undefined : 'clickable'}
                onClick={() => setOpen(open === e.seq ? undefined : e.seq)}
              >
                <td className="num">{e.seq}</td>
                <td title={formatTime(e.at)}>{new Date(e.at).toLocaleTimeString()}</td>
                <td className="mono">{e.type}</td>
                <td className="mono">{e.stepId ?? ''}</td>
                <td className="num">{e.item ?? ''}</td>
                <td className="num">{e.attempt ?? ''}</td>
                <td className="history-data">
                  {e.data === undefined ? (
                    ''
                  ) : open === e.seq ? (
                    <JsonView value={e.data} maxChars={20_000} />
                  ) : (
                    <span className="mono muted">{preview(e.data)}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function preview(data: unknown): string {
  const text = JSON.stringify(data) ?? '';
  return text.length > 90 ? `${text.slice(0, 90)}…` : text;
}
