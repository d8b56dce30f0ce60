import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/client';
import { checkKey, useSessionState } from './session';

/**
 * The sign-in form: an API key (`bk_...`), checked with the server before anything is shown.
 * `notice` is an error to show from the start (a refused key from the address).
 */
export function SignIn(props: { notice?: string }) {
  const { signIn } = useSessionState();
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | undefined>(props.notice);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const trimmed = key.trim();
      signIn(trimmed, await checkKey(trimmed), remember);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'This key was not accepted: it is unknown, revoked or expired.'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="sign-in">
      <form onSubmit={submit} className="card sign-in-card">
        <h1>Baton</h1>
        <p className="muted">
          Sign in with an API key. <code>baton dev</code> prints an admin key at its first start;{' '}
          <code>baton keys create</code> makes more.
        </p>
        <label>
          API key
          <input
            name="key"
            type="password"
            autoComplete="off"
            placeholder="bk_..."
            value={key}
            onChange={(e) => setKey(e.target.value)}
            required
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          Remember on this browser
        </label>
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
    </div>
  );
}
