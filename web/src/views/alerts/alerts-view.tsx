/**
 * Alerts (`/alerts`): every rule with its condition in words, the state of its alerts (value against
 * threshold, example runs) and a 24-hour timeline of its changes. Refreshes every few seconds.
 * @module
 */
import { useApiGet } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { Loaded, Page } from '../../components/ui';
import { AlertRuleCard } from './alert-rule-card';
import type { AlertsAnswer } from './alert-words';
import './alerts.css';

const REFRESH_MS = 10_000;
/** History entries read: the most the API gives. */
const HISTORY = 500;

/** The alerts view: firing rules first. */
export function AlertsView() {
  const session = useSession();
  const alerts = useApiGet<AlertsAnswer>('/v1/alerts', { limit: HISTORY }, { refetchMs: REFRESH_MS });
  const now = Date.now();
  return (
    <Page title="Alerts" testId="alerts-view">
      <div className="al">
        <Loaded query={alerts}>
          {(answer) => {
            if (answer.data.length === 0) {
              return (
                <div className="card empty" data-testid="alerts-empty">
                  No alert rules on this server. <code>baton dev</code> runs the default rules;{' '}
                  <code>baton server</code> runs them when the config sets <code>alerts</code> (a file or the
                  rules themselves), and <code>alerts: false</code> turns them off. See “Costs and alerts” in
                  docs/operations.md.
                </div>
              );
            }
            const firing = (id: string) =>
              answer.data.find((r) => r.id === id)?.alerts.some((a) => a.status === 'firing') ?? false;
            const rules = [...answer.data].sort((a, b) => Number(firing(b.id)) - Number(firing(a.id)));
            const count = rules.filter((r) => firing(r.id)).length;
            return (
              <>
                <div className="alerts-summary" data-testid="alerts-summary">
                  <span className={count > 0 ? 'kpi kpi-red' : 'kpi kpi-green'}>{count}</span>
                  <span>
                    of {rules.length} rules firing for tenant <strong>{session.tenant}</strong>
                    <span className="muted small">
                      {' '}
                      · evaluated every minute by the server · refreshed every {REFRESH_MS / 1000} s
                    </span>
                  </span>
                </div>
                {rules.map((rule) => (
                  <AlertRuleCard
                    key={rule.id}
                    rule={rule}
                    history={answer.history.filter((e) => e.ruleId === rule.id)}
                    now={now}
                  />
                ))}
              </>
            );
          }}
        </Loaded>
      </div>
    </Page>
  );
}
