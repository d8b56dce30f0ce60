import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function WorkflowsView(_props: { id?: string; name?: string }) {
  return <Page title="WorkflowsView">Not built yet.</Page>;
}
