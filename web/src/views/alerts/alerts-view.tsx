import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function AlertsView(_props: { id?: string; name?: string }) {
  return <Page title="AlertsView">Not built yet.</Page>;
}
