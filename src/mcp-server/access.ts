/**
 * Who may do what through Baton's MCP server. The roles are the ones the HTTP API will have; the
 * rules live here, in one table, so the tool listing and the tool calls cannot disagree.
 * @module
 */
import { BatonError } from '../core/errors.js';

/** The roles a caller can hold. */
export const ROLES = ['admin', 'developer', 'operator', 'approver', 'viewer'] as const;

/** A role: `admin` may do everything, `viewer` only read. */
export type Role = (typeof ROLES)[number];

/** The caller of the MCP server: who it is, which tenant's runs it works on, and its roles. */
export interface McpIdentity {
  /** Who the caller is; recorded as `by` on the approvals it decides. */
  subject: string;
  /** The only tenant whose runs the caller sees, starts and decides. */
  tenant: string;
  roles: Role[];
}

/** What a tool does, as far as access goes. */
export type ToolAccess = 'read' | 'start' | 'decide';

const ALLOWED: Record<ToolAccess, ReadonlySet<Role>> = {
  read: new Set(ROLES),
  start: new Set<Role>(['admin', 'developer', 'operator']),
  decide: new Set<Role>(['admin', 'approver']),
};

/** True if `identity` holds a role that may use a tool of this access. */
export function mayUse(identity: McpIdentity, access: ToolAccess): boolean {
  return identity.roles.some((role) => ALLOWED[access].has(role));
}

/** The roles that may use a tool of this access, for error messages. */
export function rolesFor(access: ToolAccess): Role[] {
  return [...ALLOWED[access]];
}

/** True if `value` names a {@link Role}. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Checks an identity built by a caller's `authenticate` function or by CLI flags, so a typo in a role
 * is seen at once instead of silently denying everything.
 * @throws BatonError `INVALID_ARGUMENT` when a field is missing or a role is unknown.
 */
export function checkIdentity(identity: McpIdentity): McpIdentity {
  const { subject, tenant, roles } = identity;
  if (typeof subject !== 'string' || subject.length === 0) {
    throw new BatonError('INVALID_ARGUMENT', 'an MCP identity needs a non-empty subject');
  }
  if (typeof tenant !== 'string' || tenant.length === 0) {
    throw new BatonError('INVALID_ARGUMENT', `the MCP identity of ${subject} needs a non-empty tenant`);
  }
  const unknown = Array.isArray(roles) ? roles.filter((r) => !isRole(r)) : [String(roles)];
  if (unknown.length > 0) {
    throw new BatonError('INVALID_ARGUMENT', `unknown role ${unknown.join(', ')} for ${subject}`, {
      hint: `Roles are ${ROLES.join(', ')}`,
    });
  }
  return identity;
}
