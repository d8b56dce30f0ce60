import { Page } from '../../components/ui';

/** Placeholder until this view is built. */
export function GatewayView(_props: { id?: string; name?: string }) {
  return <Page title="GatewayView">Not built yet.</Page>;
}
