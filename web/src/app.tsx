/**
 * The dashboard's shell: sign-in, the navigation, and one route per view. Every view reads the public
 * API through the signed-in session (`useSession().api`).
 */
import { useEffect, useState } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { ApiError } from './api/client';
import {
  checkKey,
  type SessionInfo,
  SessionProvider,
  storedKey,
  storeKey,
  takeKeyFromAddress,
  useSessionState,
} from './auth/session';
import { SignIn } from './auth/sign-in';
import { AlertsView } from './views/alerts/alerts-view';
import { ApprovalsView } from './views/approvals/approvals-view';
import { GatewayView } from './views/gateway/gateway-view';
import { OverviewView } from './views/overview/overview-view';
import { RunDetailView } from './views/run-detail/run-detail-view';
import { RunsView } from './views/runs/runs-view';
import { WorkflowsView } from './views/workflows/workflows-view';

const NAV: { href: string; label: string; operation: string }[] = [
  { href: '/', label: 'Overview', operation: 'runs.list' },
  { href: '/runs', label: 'Runs', operation: 'runs.list' },
  { href: '/approvals', label: 'Approvals', operation: 'approvals.list' },
  { href: '/workflows', label: 'Workflows', operation: 'workflows.list' },
  { href: '/gateway', label: 'Gateway', operation: 'gateway.routes' },
  { href: '/alerts', label: 'Alerts', operation: 'alerts.list' },
];

function Shell(props: { notice?: string }) {
  const { session } = useSessionState();
  const [location] = useLocation();
  if (!session) return <SignIn {...(props.notice ? { notice: props.notice } : {})} />;
  const active = (href: string) => (href === '/' ? location === '/' : location.startsWith(href));
  return (
    <div className="shell">
      <nav className="nav" aria-label="Main">
        <div className="brand">Baton</div>
        {NAV.filter((n) => session.can(n.operation)).map((n) => (
          <Link key={n.href} href={n.href} className={active(n.href) ? 'nav-link active' : 'nav-link'}>
            {n.label}
          </Link>
        ))}
        <div className="nav-foot">
          <div className="who" data-testid="who">
            <div>{session.key.name}</div>
            <div className="muted">
              {session.tenant} · {session.roles.join(', ')}
            </div>
          </div>
          <button type="button" className="link" onClick={session.signOut}>
            Sign out
          </button>
        </div>
      </nav>
      <main className="main">
        <Switch>
          <Route path="/">{() => <OverviewView />}</Route>
          <Route path="/runs">{() => <RunsView />}</Route>
          <Route path="/runs/:id">{(p) => <RunDetailView id={p.id} />}</Route>
          <Route path="/approvals">{() => <ApprovalsView />}</Route>
          <Route path="/workflows">{() => <WorkflowsView />}</Route>
          <Route path="/workflows/:name">{(p) => <WorkflowsView name={decodeURIComponent(p.name)} />}</Route>
          <Route path="/gateway">{() => <GatewayView />}</Route>
          <Route path="/alerts">{() => <AlertsView />}</Route>
          <Route>
            <Redirect to="/" />
          </Route>
        </Switch>
      </main>
    </div>
  );
}

/** Taken once when the page loads (not in an effect, which StrictMode runs twice in development). */
const HANDED_KEY = typeof window === 'undefined' ? undefined : takeKeyFromAddress();

/**
 * The app: signs in with a key handed over in the address (`/#key=...`, printed by `baton dev` at its
 * first start), else restores a remembered key, before the first paint of a view.
 */
export function App() {
  const [initial, setInitial] = useState<{ key: string; info: SessionInfo } | null | undefined>(undefined);
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    const handed = HANDED_KEY;
    const key = handed ?? storedKey();
    if (!key) return setInitial(null);
    checkKey(key).then(
      (info) => {
        if (handed) storeKey(handed);
        setInitial({ key, info });
      },
      (err: unknown) => {
        if (handed) {
          setNotice(
            err instanceof ApiError && err.status === 401
              ? 'The key in the address was not accepted: it is unknown, revoked or expired.'
              : `The key in the address could not be checked: ${(err as Error).message}`,
          );
        }
        setInitial(null);
      },
    );
  }, []);
  if (initial === undefined) return <div className="loading">Loading…</div>;
  return (
    <SessionProvider {...(initial ? { initial } : {})}>
      <Shell {...(notice ? { notice } : {})} />
    </SessionProvider>
  );
}
