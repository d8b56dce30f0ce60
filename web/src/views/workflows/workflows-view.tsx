/**
 * The workflows view: the catalogue at `/workflows`, one workflow with its versions, graph, diff and
 * cost model at `/workflows/:name`.
 */
import { WorkflowCatalogue } from './workflow-catalogue';
import { WorkflowDetail } from './workflow-detail';
import './workflows.css';

/** The catalogue, or the workflow `name` when given. */
export function WorkflowsView(props: { name?: string }) {
  return props.name ? <WorkflowDetail name={props.name} /> : <WorkflowCatalogue />;
}
