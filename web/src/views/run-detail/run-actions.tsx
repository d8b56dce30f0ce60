/**
 * The run page's actions: replay, fork, rerun and cancel. Each is shown only when the key may call
 * it, asks for confirmation, and shows the API's error when it fails.
 * @module
 */
import { useState } from 'react';
import { useLocation } from 'wouter';
import { useSession } from '../../auth/session';
import { StatusBadge } from '../../components/ui';
import { Dialog, parseJsonInput } from '../runs/dialog';
import type { GraphStep, Run, RunWithSteps } from '../runs/run-types';
import { TERMINAL } from '../runs/run-types';

type Open = 'cancel' | 'rerun' | 'replay' | 'fork' | undefined;

/** The action buttons and their dialogs; `onChanged` is called after the run itself changed (cancel). */
export function RunActions(props: {
  run: RunWithSteps;
  steps: GraphStep[];
  selectedStep?: string;
  onChanged: () => void;
}) {
  const { can } = useSession();
  const [open, setOpen] = useState<Open>();
  const { run } = props;
  const close = () => setOpen(undefined);
  return (
    <>
      {can('runs.replay') && (
        <button type="button" onClick={() => setOpen('replay')} data-testid="run-replay">
          Replay
        </button>
      )}
      {can('runs.fork') && (
        <button type="button" onClick={() => setOpen('fork')} data-testid="run-fork">
          Fork…
        </button>
      )}
      {can('runs.rerun') && (
        <button type="button" onClick={() => setOpen('rerun')} data-testid="run-rerun">
          Rerun
        </button>
      )}
      {can('runs.cancel') && !TERMINAL.has(run.status) && (
        <button type="button" className="danger" onClick={() => setOpen('cancel')} data-testid="run-cancel">
          Cancel run
        </button>
      )}
      {open === 'cancel' && <CancelDialog run={run} onClose={close} onDone={props.onChanged} />}
      {open === 'rerun' && <RerunDialog run={run} onClose={close} />}
      {open === 'replay' && <ReplayDialog run={run} onClose={close} />}
      {open === 'fork' && (
        <ForkDialog
          run={run}
          steps={props.steps}
          onClose={close}
          {...(props.selectedStep ? { initialStep: props.selectedStep } : {})}
        />
      )}
    </>
  );
}

/** Runs `action`, keeping busy and error state for a dialog. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function CancelDialog(props: { run: Run; onClose: () => void; onDone: () => void }) {
  const { api } = useSession();
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <Dialog
      title="Cancel this run?"
      confirmLabel="Cancel run"
      danger
      onClose={props.onClose}
      busy={action.busy}
      error={action.error}
      testId="cancel-dialog"
      onConfirm={() =>
        action.run(async () => {
          await api.post(
            `/v1/runs/${encodeURIComponent(props.run.id)}/cancel`,
            reason.trim() ? { reason: reason.trim() } : {},
          );
          props.onDone();
          props.onClose();
        })
      }
    >
      <p>
        The run stops: its child runs, timers and waits are cancelled, and the compensations of the effects it
        completed run. This cannot be undone.
      </p>
      <label>
        Reason (kept in the run's history and the audit log)
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="cancelled by …" />
      </label>
    </Dialog>
  );
}

function RerunDialog(props: { run: Run; onClose: () => void }) {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const action = useAction();
  return (
    <Dialog
      title="Rerun this run?"
      confirmLabel="Start a new run"
      onClose={props.onClose}
      busy={action.busy}
      error={action.error}
      testId="rerun-dialog"
      onConfirm={() =>
        action.run(async () => {
          const created = await api.post<Run>(`/v1/runs/${encodeURIComponent(props.run.id)}/rerun`);
          navigate(`/runs/${encodeURIComponent(created.id)}`);
        })
      }
    >
      <p>
        A new run of <strong>{props.run.versionId}</strong> with the same input and tags starts from the
        beginning, tagged <code>rerun-of:{props.run.id}</code>. Every step runs again, effects and model calls
        included.
      </p>
    </Dialog>
  );
}

interface ReplayReport {
  recordedWith: string;
  replayedWith: string;
  diverged: boolean;
  steps: { stepId: string; status: string; detail: string; mode: string }[];
  output: { status: string; detail: string };
  modelCalls: number;
  effects: number;
  answeredFromRecording: number;
  refusedModelCalls: number;
}

const REPLAY_STATUS: Record<string, string> = {
  same: 'succeeded',
  diverged: 'failed',
  new: 'waiting',
  missing: 'cancelled',
};

function ReplayDialog(props: { run: Run; onClose: () => void }) {
  const { api } = useSession();
  const [version, setVersion] = useState('');
  const [report, setReport] = useState<ReplayReport>();
  const action = useAction();
  return (
    <Dialog
      title="Replay against the recording"
      confirmLabel={report ? 'Replay again' : 'Replay'}
      onClose={props.onClose}
      busy={action.busy}
      error={action.error}
      wide
      testId="replay-dialog"
      onConfirm={() =>
        action.run(async () => {
          setReport(undefined);
          const v = version.trim();
          setReport(
            await api.post<ReplayReport>(
              `/v1/runs/${encodeURIComponent(props.run.id)}/replay`,
              v ? { version: /^\d+$/.test(v) ? Number(v) : v } : {},
            ),
          );
        })
      }
    >
      <p className="small">
        Re-executes the run's code against its recorded outputs: no model is called, no effect runs, nothing
        is written. The report says, step by step, whether the code still does what it did.
      </p>
      <label>
        Version (number or id; empty for the run's own, {props.run.versionId})
        <input
          value={version}
          onChange={(e) => setVersion(e.target.value)}
          placeholder={props.run.versionId}
        />
      </label>
      {report && (
        <div className="replay-report" data-testid="replay-report" data-diverged={report.diverged}>
          <p>
            <StatusBadge status={report.diverged ? 'diverged' : 'same'} /> Recorded with{' '}
            <code>{report.recordedWith}</code>, replayed with <code>{report.replayedWith}</code>.{' '}
            {report.answeredFromRecording} model calls answered from the recording, {report.refusedModelCalls}{' '}
            refused; output {report.output.status}
            {report.output.detail && `: ${report.output.detail}`}.
          </p>
          <table className="compact">
            <thead>
              <tr>
                <th>Step</th>
                <th>Compared</th>
                <th>Mode</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {report.steps.map((s) => (
                <tr key={s.stepId}>
                  <td className="mono">{s.stepId}</td>
                  <td>
                    <span className={`badge status-${REPLAY_STATUS[s.status] ?? 'pending'}`}>{s.status}</span>
                  </td>
                  <td className="muted">{s.mode}</td>
                  <td>{s.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Dialog>
  );
}

/** The steps at or after `from`: `from` and everything that needs it, directly or not. */
function stepsFrom(steps: GraphStep[], from: string): Set<string> {
  const after = new Set([from]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of steps) {
      if (!after.has(s.id) && s.needs.some((n) => after.has(n))) {
        after.add(s.id);
        grew = true;
      }
    }
  }
  return after;
}

function ForkDialog(props: { run: Run; steps: GraphStep[]; initialStep?: string; onClose: () => void }) {
  const { api } = useSession();
  const [, navigate] = useLocation();
  const [fromStep, setFromStep] = useState(
    props.initialStep && props.steps.some((s) => s.id === props.initialStep)
      ? props.initialStep
      : (props.steps[0]?.id ?? ''),
  );
  const [input, setInput] = useState(() => JSON.stringify(props.run.input ?? {}, null, 2));
  const [allowEffects, setAllowEffects] = useState(false);
  const action = useAction();
  const parsed = parseJsonInput(input);
  const rerunning = stepsFrom(props.steps, fromStep);
  const effects = props.steps.filter((s) => s.effect && rerunning.has(s.id)).map((s) => s.id);
  return (
    <Dialog
      title="Fork this run"
      confirmLabel="Start the fork"
      onClose={props.onClose}
      busy={action.busy}
      error={action.error}
      confirmDisabled={'error' in parsed || !fromStep}
      wide
      testId="fork-dialog"
      onConfirm={() =>
        action.run(async () => {
          if ('error' in parsed) return;
          const result = await api.post<{ run: Run }>(`/v1/runs/${encodeURIComponent(props.run.id)}/fork`, {
            fromStep,
            input: parsed.value,
            ...(allowEffects ? { allowEffects: true } : {}),
          });
          navigate(`/runs/${encodeURIComponent(result.run.id)}`);
        })
      }
    >
      <div className="form-stack">
        <p className="small">
          A new run starts at the chosen step: the steps before it keep their recorded outputs (nothing runs
          again), the chosen step and those after it execute live.
        </p>
        <label>
          Fork from step
          <select name="fromStep" value={fromStep} onChange={(e) => setFromStep(e.target.value)}>
            {props.steps.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id} ({s.kind}){s.effect ? ' · effect' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Input (JSON; the run's own, to edit)
          <textarea
            name="input"
            rows={8}
            value={input}
            onChange={(e) => setInput(e.target.value)}
            spellCheck={false}
          />
        </label>
        {'error' in parsed && <div className="field-error">{parsed.error}</div>}
        <label className="check">
          <input type="checkbox" checked={allowEffects} onChange={(e) => setAllowEffects(e.target.checked)} />{' '}
          Let effect steps at or after this step run
        </label>
        {effects.length > 0 ? (
          <div className={allowEffects ? 'warn' : 'muted small'}>
            Effect steps that would run again:{' '}
            {effects.map((e) => (
              <code key={e}>{e} </code>
            ))}
            {allowEffects
              ? '— they will change the outside world again.'
              : '— without the box above, the API refuses the fork (FORK_EFFECTS_REFUSED).'}
          </div>
        ) : (
          <div className="muted small">No effect step runs again from here.</div>
        )}
      </div>
    </Dialog>
  );
}
