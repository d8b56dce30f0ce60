/**
 * Employee onboarding: accounts are created, then hardware is requested and training scheduled in
 * parallel, the manager approves the plan, and the run waits durably for the start date before the
 * welcome email goes out. Everything is simulated locally: no network, no keys.
 */
import { z } from 'zod';
import { workflow } from '../src/core/builder.js';

const Employee = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  email: z.string().email(),
  role: z.enum(['engineer', 'designer', 'sales', 'support']),
  manager: z.string().min(1),
  /** ISO date-time; the welcome goes out then. */
  startDate: z.string().datetime(),
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Laptop models by role. */
const HARDWARE: Record<string, string> = {
  engineer: 'MacBook Pro 16" / 64 GB',
  designer: 'MacBook Pro 14" / 32 GB + 27" display',
  sales: 'MacBook Air 13"',
  support: 'ThinkPad T14 + headset',
};

export const onboarding = workflow({
  name: 'employee-onboarding',
  version: '1.0.0',
  description: 'Accounts, hardware and training for a new hire, approved by their manager.',
  input: z.object({ employee: Employee }),
  timeout: '30d',
})
  .step('createAccounts', {
    description: 'Create email, chat and SSO accounts.',
    effect: true,
    idempotent: true,
    run: async ({ input, idempotencyKey }) => {
      await pause(40);
      const handle = input.employee.email.split('@')[0] as string;
      return {
        sso: `sso-${input.employee.id}`,
        chat: `@${handle}`,
        email: input.employee.email,
        requestKey: idempotencyKey,
      };
    },
    compensate: async ({ output }) => {
      await pause(10);
      return { disabled: output };
    },
  })
  .step('requestHardware', {
    needs: ['createAccounts'],
    description: 'Open an IT ticket for the laptop.',
    effect: true,
    run: async ({ input }) => {
      await pause(60);
      return { ticket: `IT-${input.employee.id.toUpperCase()}`, model: HARDWARE[input.employee.role] };
    },
  })
  .step('scheduleTraining', {
    needs: ['createAccounts'],
    description: 'Book the onboarding sessions for the role.',
    run: async ({ input }) => {
      await pause(50);
      const base = ['Security basics', 'Company handbook'];
      const extra = input.employee.role === 'engineer' ? ['Production access', 'On-call 101'] : ['CRM tour'];
      return { sessions: [...base, ...extra] };
    },
  })
  .approval('managerApproval', {
    needs: ['requestHardware', 'scheduleTraining'],
    role: 'manager',
    prompt: 'Approve the onboarding plan (hardware and training)?',
    assignee: 'manager',
    data: ({ input, steps }) => ({
      employee: input.employee.name,
      manager: input.employee.manager,
      laptop: steps.requestHardware.model,
      training: steps.scheduleTraining.sessions,
    }),
    timeout: '3d',
    defaultAction: 'reject',
  })
  .wait('startDate', {
    needs: ['managerApproval'],
    description: 'Sleep durably until the first day.',
    until: ({ input }) => input.employee.startDate,
  })
  .step('welcome', {
    needs: ['startDate', 'managerApproval'],
    effect: true,
    idempotent: true,
    description: 'Send the welcome email.',
    run: async ({ input, steps, idempotencyKey }) => {
      await pause(20);
      return {
        to: input.employee.email,
        subject: `Welcome, ${input.employee.name}!`,
        approvedPlan: steps.managerApproval.data,
        messageId: `msg-${idempotencyKey}`,
      };
    },
  })
  .output(({ input, steps }) => ({
    employee: input.employee.id,
    accounts: steps.createAccounts,
    hardware: steps.requestHardware,
    training: steps.scheduleTraining,
    approvedBy: steps.managerApproval.by,
    welcomed: steps.welcome.messageId,
  }));
