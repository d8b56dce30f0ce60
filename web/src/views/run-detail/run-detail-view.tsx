import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function RunDetailView(_props: { id?: string; name?: string }) {
  return <Page title="RunDetailView">Not built yet.</Page>;
}
