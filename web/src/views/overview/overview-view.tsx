import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function OverviewView(_props: { id?: string; name?: string }) {
  return <Page title="OverviewView">Not built yet.</Page>;
}
