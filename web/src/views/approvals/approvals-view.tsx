import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function ApprovalsView(_props: { id?: string; name?: string }) {
  return <Page title="ApprovalsView">Not built yet.</Page>;
}
