/**
 * Signing in with an API key: the key is checked against `GET /v1/session`, which answers who the key
 * is and which API operations its roles allow. The dashboard shows an action only when the API would
 * accept it; the API still checks every request. The key stays in this tab's sessionStorage unless the
 * user asks to be remembered (localStorage).
 */
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { type Api, createApi } from '../api/client';

/** `GET /v1/session`. */
export interface SessionInfo {
  key: { id: string; prefix: string; name: string };
  tenant: string;
  roles: string[];
  /** The operation ids (as in the OpenAPI document) this key may call. */
  operations: string[];
}

/** A signed-in user. */
export interface Session extends SessionInfo {
  api: Api;
  /** True when the key may call the operation (`runs.cancel`, `approvals.decide`...). */
  can(operation: string): boolean;
  signOut(): void;
}

const STORAGE_KEY = 'baton.apiKey';

/** Reads the remembered key, if any. */
export function storedKey(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY) ?? undefined;
}

/** Remembers `key` for this tab (sessionStorage), or on this browser (localStorage) when asked. */
export function storeKey(key: string, remember = false): void {
  (remember ? localStorage : sessionStorage).setItem(STORAGE_KEY, key);
}

/**
 * Takes a key handed over in the address (`/#key=bk_...`, the one-click address `baton dev` prints at
 * its first start) and removes it from the address bar and the history, so that it is not bookmarked,
 * shared or left on screen.
 */
export function takeKeyFromAddress(): string | undefined {
  const match = /^#key=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return undefined;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  try {
    return decodeURIComponent(match[1]).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Checks `key` with the server; throws ApiError when it is refused. */
export async function checkKey(key: string): Promise<SessionInfo> {
  return createApi(key).get<SessionInfo>('/v1/session');
}

interface SessionState {
  session: Session | undefined;
  signIn(key: string, info: SessionInfo, remember: boolean): void;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/** Holds the signed-in session for the app. */
export function SessionProvider(props: {
  initial?: { key: string; info: SessionInfo };
  children: ReactNode;
}) {
  const [current, setCurrent] = useState(props.initial);
  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    localStorage.removeItem(STORAGE_KEY);
    setCurrent(undefined);
  }, []);
  const signIn = useCallback((key: string, info: SessionInfo, remember: boolean) => {
    storeKey(key, remember);
    setCurrent({ key, info });
  }, []);
  const session = useMemo<Session | undefined>(() => {
    if (!current) return undefined;
    const allowed = new Set(current.info.operations);
    return { ...current.info, api: createApi(current.key), can: (op) => allowed.has(op), signOut };
  }, [current, signOut]);
  const value = useMemo(() => ({ session, signIn }), [session, signIn]);
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}

/** The session state (signed in or not). */
export function useSessionState(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSessionState outside SessionProvider');
  return state;
}

/** The signed-in session; only inside pages rendered after sign-in. */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error('useSession before sign-in');
  return session;
}
