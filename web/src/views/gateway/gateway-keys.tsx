/** The tenant's gateway keys with their budgets as bars (spent of limit this period). */
import { formatAgo, formatCount, formatTime, formatUsd } from '../../components/format';
import { StatusBadge } from '../../components/ui';
import type { BudgetUse, KeysAnswer, RateLimits } from './gateway-types';

const PERIOD: Record<BudgetUse['period'], string> = {
  day: 'today',
  week: 'this week',
  month: 'this month',
  total: 'in total',
};

/** Spent of limit as a bar: amber from 80%, red when spent. */
export function BudgetBar(props: { budget: BudgetUse }) {
  const { budget } = props;
  const share = budget.limitUsd > 0 ? budget.spentUsd / budget.limitUsd : 1;
  const level = share >= 1 ? 'red' : share >= 0.8 ? 'amber' : 'green';
  return (
    <div
      className="budget"
      data-testid="budget"
      data-period={budget.period}
      title={`${formatUsd(budget.spentUsd)} of ${formatUsd(budget.limitUsd)} ${PERIOD[budget.period]} (since ${formatTime(budget.periodStart)})`}
    >
      <div className="budget-text">
        <span className="num">
          {formatUsd(budget.spentUsd)} / {formatUsd(budget.limitUsd)}
        </span>
        <span className="muted small"> {PERIOD[budget.period]}</span>
      </div>
      <div className="budget-track">
        <div className={`budget-fill budget-${level}`} style={{ width: `${Math.min(100, share * 100)}%` }} />
      </div>
    </div>
  );
}

function limitsText(limits: RateLimits): string {
  const parts = [
    limits.requestsPerMinute === undefined ? undefined : `${formatCount(limits.requestsPerMinute)} req/min`,
    limits.tokensPerMinute === undefined ? undefined : `${formatCount(limits.tokensPerMinute)} tokens/min`,
  ].filter(Boolean);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** The tenant's own limits, then one row per key. */
export function KeysTable(props: { keys: KeysAnswer; tenant: string; now: number }) {
  const { keys, tenant, now } = props;
  return (
    <>
      <div className="tenant-limits row" data-testid="tenant-limits">
        <span className="muted">Tenant {tenant}:</span>
        {keys.tenant.budgets.length === 0 ? (
          <span className="muted">no budget of its own</span>
        ) : (
          keys.tenant.budgets.map((b) => <BudgetBar key={b.period} budget={b} />)
        )}
        <span className="muted">· rate limits: {limitsText(keys.tenant.rateLimits)}</span>
      </div>
      {keys.data.length === 0 ? (
        <div className="empty" data-testid="gateway-keys-empty">
          No gateway keys in tenant {tenant} yet — create one with{' '}
          <code>npx baton gateway keys create --tenant {tenant} --budget month:50</code>. Runs' model calls
          need none: they are charged to the run and the tenant.
        </div>
      ) : (
        <div className="table-scroll">
          <table data-testid="gateway-keys">
            <thead>
              <tr>
                <th>Key</th>
                <th>Status</th>
                <th>Models</th>
                <th>Budgets</th>
                <th className="num">Spent today</th>
                <th className="num">This month</th>
                <th>Rate limits</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((key) => (
                <tr key={key.id} data-testid="gateway-key" data-key-id={key.id}>
                  <td>
                    <div className="mono">{key.prefix}</div>
                    <div className="muted small">{key.name}</div>
                  </td>
                  <td>
                    <StatusBadge status={key.status} />
                    {key.expiresAt !== undefined && key.status === 'active' && (
                      <div className="muted small" title={formatTime(key.expiresAt)}>
                        expires {new Date(key.expiresAt).toLocaleDateString()}
                      </div>
                    )}
                  </td>
                  <td className="small">
                    {key.allowedModels.length === 0 ? (
                      <span className="muted">all</span>
                    ) : (
                      key.allowedModels.join(', ')
                    )}
                  </td>
                  <td className="budgets-cell">
                    {key.budgets.length === 0 ? (
                      <span className="muted small">none (the tenant's apply)</span>
                    ) : (
                      key.budgets.map((b) => <BudgetBar key={b.period} budget={b} />)
                    )}
                  </td>
                  <td className="num">{formatUsd(key.spend.dayUsd)}</td>
                  <td className="num">{formatUsd(key.spend.monthUsd)}</td>
                  <td className="small">{limitsText(key.rateLimits)}</td>
                  <td title={formatTime(key.createdAt)}>{formatAgo(key.createdAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
