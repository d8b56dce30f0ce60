/** One alert rule: its condition, the state of each of its alerts, and its history as a timeline. */
import { useState } from 'react';
import { Link } from 'wouter';
import { formatAgo, formatTime } from '../../components/format';
import { Card, StatusBadge } from '../../components/ui';
import { segmentsOf } from './alert-timeline';
import {
  type AlertEvent,
  type AlertRule,
  comparison,
  conditionInWords,
  formatValue,
  subjectNoun,
} from './alert-words';

/** How far back the timeline reaches. */
export const TIMELINE_MS = 24 * 3_600_000;
const SHOWN_CHANGES = 8;

/** The rule's card; `history` holds the rule's changes, newest first. */
export function AlertRuleCard(props: { rule: AlertRule; history: AlertEvent[]; now: number }) {
  const { rule, history, now } = props;
  const firing = rule.alerts.filter((a) => a.status === 'firing');
  const [all, setAll] = useState(false);
  return (
    <Card className={`alert-rule ${firing.length > 0 ? 'alert-rule-firing' : ''}`} testId="alert-rule">
      <div className="alert-rule-head" data-rule-id={rule.id}>
        <div>
          <div className="row">
            <h2 className="alert-rule-name mono">{rule.id}</h2>
            <span data-testid="alert-rule-state">
              <StatusBadge status={firing.length > 0 ? 'firing' : 'ok'} />
            </span>
            {firing.length > 1 && <span className="muted small">{firing.length} subjects</span>}
          </div>
          <div className="alert-condition" data-testid="alert-condition">
            {conditionInWords(rule)}
          </div>
          <div className="muted small">
            over the last {rule.window} · {scope(rule)} · kind {rule.kind}
          </div>
        </div>
      </div>
      {rule.alerts.length === 0 ? (
        <div className="muted small alert-none">
          Not firing: no alert of this rule has fired in this tenant.
        </div>
      ) : (
        <AlertsTable rule={rule} now={now} />
      )}
      <Timeline rule={rule} history={history} now={now} />
      {history.length > 0 && (
        <ul className="alert-changes" data-testid="alert-history">
          {(all ? history : history.slice(0, SHOWN_CHANGES)).map((e) => (
            <li key={e.seq}>
              <span title={formatTime(e.since)} className="muted">
                {formatAgo(e.since, now)}
              </span>{' '}
              <span className="mono">{e.subject}</span> {e.status === 'firing' ? 'fired' : 'resolved'}:{' '}
              {formatValue(rule.kind, e.value)}{' '}
              <span className="muted">
                (fires {comparison(rule.kind)} {formatValue(rule.kind, e.threshold)})
              </span>
            </li>
          ))}
          {history.length > SHOWN_CHANGES && (
            <li>
              <button type="button" className="link" onClick={() => setAll(!all)}>
                {all ? 'Show fewer' : `Show all ${history.length} changes`}
              </button>
            </li>
          )}
        </ul>
      )}
    </Card>
  );
}

function scope(rule: AlertRule): string {
  if (rule.workflow) return `workflow ${rule.workflow}`;
  return rule.kind === 'model-error-rate' ? 'each model alias' : 'each workflow';
}

function AlertsTable(props: { rule: AlertRule; now: number }) {
  const { rule, now } = props;
  return (
    <table className="alert-states">
      <thead>
        <tr>
          <th>{subjectNoun(rule.kind)}</th>
          <th>State</th>
          <th>Since</th>
          <th className="num">Value</th>
          <th className="num">Threshold</th>
          <th>Example runs</th>
        </tr>
      </thead>
      <tbody>
        {rule.alerts.map((a) => (
          <tr key={a.key} data-testid="alert" data-subject={a.subject} data-status={a.status}>
            <td className="mono">{a.subject}</td>
            <td>
              <StatusBadge status={a.status === 'firing' ? 'firing' : 'ok'} />
            </td>
            <td title={formatTime(a.since)}>{formatAgo(a.since, now)}</td>
            <td className={`num ${a.status === 'firing' ? 'value-bad' : ''}`}>
              {formatValue(rule.kind, a.value)}
            </td>
            <td className="num muted">
              {comparison(rule.kind)} {formatValue(rule.kind, a.threshold)}
            </td>
            <td className="example-runs">
              {a.exampleRuns.length === 0 ? (
                <span className="muted">–</span>
              ) : (
                a.exampleRuns.map((id) => (
                  <Link key={id} href={`/runs/${encodeURIComponent(id)}`} className="mono">
                    {id}
                  </Link>
                ))
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A stretch of the track in percent; a short one stays visible, and inside the track at its end. */
function segmentStyle(from: number, to: number) {
  const width = Math.max(0.8, to - from);
  return { left: `${Math.min(from, 100 - width)}%`, width: `${width}%` };
}

function Timeline(props: { rule: AlertRule; history: AlertEvent[]; now: number }) {
  const { rule, history, now } = props;
  const start = now - TIMELINE_MS;
  const subjects = [
    ...new Set([...rule.alerts.map((a) => a.subject), ...history.map((e) => e.subject)]),
  ].sort();
  if (subjects.length === 0) return null;
  const x = (t: number) => ((Math.max(t, start) - start) / TIMELINE_MS) * 100;
  return (
    <div className="alert-timeline" data-testid="alert-timeline">
      {subjects.map((subject) => {
        const changes = [
          ...history.filter((e) => e.subject === subject),
          ...rule.alerts.filter((a) => a.subject === subject),
        ];
        const segments = segmentsOf(changes, start, now);
        return (
          <div key={subject} className="lane">
            <span className="lane-name mono" title={subject}>
              {subject}
            </span>
            <div className="lane-track">
              {segments.map((s) => (
                <div
                  key={s.from}
                  className={`lane-seg ${s.firing ? 'seg-firing' : 'seg-ok'}`}
                  style={segmentStyle(x(s.from), x(s.to))}
                  title={`${s.firing ? 'firing' : 'ok'} from ${formatTime(s.from)} to ${s.to === now ? 'now' : formatTime(s.to)}`}
                />
              ))}
            </div>
          </div>
        );
      })}
      <div className="lane lane-axis muted">
        <span className="lane-name" />
        <div className="lane-track-axis">
          <span>24 h ago</span>
          <span>12 h ago</span>
          <span>now</span>
        </div>
      </div>
    </div>
  );
}
