/**
 * The gateway (`/gateway`): routes and targets with their circuit breakers, the tenant's keys with
 * their budgets, and the tenant's recent model calls. Everything refreshes every few seconds.
 * @module
 */
import { ApiError } from '../../api/client';
import { useApiGet } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { formatDuration } from '../../components/format';
import { Card, ErrorBox, Loaded, Page } from '../../components/ui';
import { KeysTable } from './gateway-keys';
import { RequestsLog } from './gateway-requests';
import { RoutesTable } from './gateway-routes';
import type { KeysAnswer, RoutesAnswer } from './gateway-types';
import './gateway.css';

const REFRESH_MS = 5000;

function breakerText(b: RoutesAnswer['breaker']): string {
  const failures = b.consecutiveFailures === 1 ? 'a failure' : `${b.consecutiveFailures} failures in a row`;
  return `breakers open after ${failures}, try again after ${formatDuration(b.halfOpenAfterMs)}`;
}

/** The gateway view; each part shows only when the key may read it. */
export function GatewayView() {
  const session = useSession();
  const routes = useApiGet<RoutesAnswer>('/v1/gateway/routes', undefined, { refetchMs: REFRESH_MS });
  const keys = useApiGet<KeysAnswer>(
    session.can('gateway.keys') ? '/v1/gateway/keys' : undefined,
    undefined,
    {
      refetchMs: REFRESH_MS,
    },
  );
  const now = Date.now();
  // One explanation for the whole page, rather than the same error in each card.
  if (routes.error instanceof ApiError && routes.error.code === 'GATEWAY_NOT_CONFIGURED') {
    return (
      <Page title="Gateway" testId="gateway-view">
        <ErrorBox error={routes.error} />
      </Page>
    );
  }
  const models = [
    ...new Set((routes.data?.data ?? []).flatMap((r) => [r.alias, ...r.targets.map((t) => t.model)])),
  ];
  const offline = routes.data?.data.some((r) => r.targets.some((t) => t.offline)) ?? false;
  return (
    <Page title="Gateway" testId="gateway-view">
      <div className="gw">
        {offline && (
          <div className="gateway-note" data-testid="gateway-offline">
            Some routes answer from the <strong>offline model</strong>: deterministic answers, not a real LLM.
            Set <code>OPENAI_API_KEY</code> or <code>ANTHROPIC_API_KEY</code>, or configure{' '}
            <code>gateway.providers</code>, to use a real one.
          </div>
        )}
        <Card
          title={
            <>
              Routes and targets
              {routes.data && (
                <span className="card-sub">{breakerText(routes.data.breaker)} · shared by every tenant</span>
              )}
            </>
          }
        >
          <Loaded query={routes}>{(data) => <RoutesTable routes={data} now={now} />}</Loaded>
        </Card>
        {session.can('gateway.keys') && (
          <Card title="Keys and budgets">
            <Loaded query={keys}>
              {(data) => <KeysTable keys={data} tenant={session.tenant} now={now} />}
            </Loaded>
          </Card>
        )}
        {session.can('gateway.requests') && (
          <Card title="Recent requests">
            <RequestsLog models={models} refetchMs={REFRESH_MS} now={now} />
          </Card>
        )}
      </div>
    </Page>
  );
}
