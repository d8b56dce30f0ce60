import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function RunsView(_props: { id?: string; name?: string }) {
  return <Page title="RunsView">Not built yet.</Page>;
}
