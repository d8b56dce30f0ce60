/**
 * Budgets per key, tenant and run. Before a call, its estimated cost is reserved in every scope
 * that has a budget; a call whose reservation would cross any limit fails with `BUDGET_EXCEEDED`
 * before anything is sent. After the call, the reservation is settled with the actual cost, which
 * is written to the ledger in batches.
 *
 * Limits of the design, stated: spend is summed in this process and re-read from the ledger every
 * `refreshMs`, so several gateway processes sharing one ledger can together overshoot a budget by
 * what they spend in that interval; and a call without `max_tokens` reserves the configured default
 * output, so one call can overshoot by its excess over that estimate.
 * @module
 */
import { BatchWriter } from '../batch-writer.js';
import { GatewayError } from '../errors.js';
import { periodStart } from '../ledger/periods.js';
import type { BudgetPeriod, SpendEntry, SpendScope } from '../ledger/port.js';

/** The part of the ledger budgets need. */
export interface SpendLedger {
  spentSince(scope: SpendScope, scopeId: string, since: number): Promise<number>;
  recordSpend(entries: SpendEntry[]): Promise<void>;
}

/** A scope's budget limits: `{ period: 'month', usd: 50 }`. */
export interface BudgetClaim {
  scope: SpendScope;
  id: string;
  limits: ReadonlyArray<{ period: BudgetPeriod; usd: number }>;
}

/** A reservation held for one call. */
export interface BudgetReservation {
  /** Replaces the reservation with the actual cost (0 when nothing was billed). Idempotent. */
  settle(actualUsd: number): void;
}

interface Account {
  loaded: Promise<void>;
  reloading: boolean;
  /** The ledger has been read at least once for this period. */
  known: boolean;
  since: number;
  fromLedger: number;
  /** Settled here and not yet confirmed written. */
  unflushed: number;
  reserved: number;
  loadedAt: number;
}

const NOTHING: BudgetReservation = { settle() {} };

/** Accounts kept before idle ones are forgotten (they are re-read from the ledger when needed). */
const MAX_IDLE_ACCOUNTS = 10_000;

/** Reserves and settles budget; one per gateway. */
export class Budgets {
  readonly #ledger: SpendLedger;
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #accounts = new Map<string, Account>();
  readonly #spend: BatchWriter<SpendEntry>;

  constructor(ledger: SpendLedger, options: { now?: () => number; refreshMs?: number } = {}) {
    this.#ledger = ledger;
    this.#spend = new BatchWriter((batch) => ledger.recordSpend(batch), { intervalMs: 50 });
    this.#now = options.now ?? Date.now;
    this.#refreshMs = options.refreshMs ?? 5_000;
  }

  /**
   * Reserves `estimateUsd` in every claimed scope, or nowhere.
   * @throws GatewayError `BUDGET_EXCEEDED` naming the scope, period, limit and what is spent
   */
  async reserve(claims: readonly BudgetClaim[], estimateUsd: number): Promise<BudgetReservation> {
    const now = this.#now();
    const wanted: Array<{ claim: BudgetClaim; limit: BudgetClaim['limits'][number]; account: Account }> = [];
    for (const claim of claims) {
      for (const limit of claim.limits)
        wanted.push({ claim, limit, account: this.#account(claim.scope, claim.id, limit.period, now) });
    }
    // Every account is loaded first, so that checking and reserving below run with no await in
    // between: otherwise concurrent calls could all pass the check before any of them reserved.
    await Promise.all(wanted.map((w) => w.account.loaded));
    for (const { claim, limit, account } of wanted) {
      if (!account.known) {
        throw new GatewayError(
          'STORE_UNAVAILABLE',
          `the spend of ${claim.scope} ${claim.id} could not be read from the ledger`,
          {
            hint: 'The call was refused rather than risk overspending; it is retried on the next call',
            details: { scope: claim.scope, id: claim.id },
          },
        );
      }
      const spent = account.fromLedger + account.unflushed;
      if (spent + account.reserved + estimateUsd > limit.usd || spent >= limit.usd) {
        throw new GatewayError(
          'BUDGET_EXCEEDED',
          `${claim.scope} ${claim.id} would exceed its ${limit.period} budget of $${limit.usd}: $${round(spent)} spent, $${round(account.reserved)} reserved by calls in flight, this call needs up to $${round(estimateUsd)}`,
          {
            hint:
              limit.period === 'total'
                ? 'Raise the budget or stop here'
                : `Wait for the next ${limit.period}, lower max_tokens, or raise the budget`,
            details: {
              scope: claim.scope,
              id: claim.id,
              period: limit.period,
              limitUsd: limit.usd,
              spentUsd: spent,
              reservedUsd: account.reserved,
              estimateUsd,
            },
          },
        );
      }
    }
    if (claims.length === 0) return NOTHING;
    const accounts = wanted.map((w) => w.account);
    for (const account of accounts) account.reserved += estimateUsd;
    let settled = false;
    return {
      settle: (actualUsd: number) => {
        if (settled) return;
        settled = true;
        for (const account of accounts) {
          account.reserved -= estimateUsd;
          account.unflushed += actualUsd;
        }
        if (actualUsd > 0) {
          const at = this.#now();
          for (const claim of claims)
            this.#spend.add({ scope: claim.scope, scopeId: claim.id, at, usd: actualUsd });
        }
      },
    };
  }

  #account(scope: SpendScope, id: string, period: BudgetPeriod, now: number): Account {
    const since = periodStart(period, now);
    const key = `${scope}\u0000${id}\u0000${period}`;
    let account = this.#accounts.get(key);
    if (!account || account.since !== since) {
      if (!account && this.#accounts.size >= MAX_IDLE_ACCOUNTS) this.#sweep();
      account = {
        loaded: Promise.resolve(),
        reloading: false,
        known: false,
        since,
        fromLedger: 0,
        unflushed: 0,
        reserved: 0,
        loadedAt: now,
      };
      this.#accounts.set(key, account);
      this.#reload(account, scope, id, now);
    } else if ((now - account.loadedAt > this.#refreshMs || !account.known) && !account.reloading) {
      this.#reload(account, scope, id, now);
    }
    return account;
  }

  /** Re-reads an account's spend; one reload at a time, and a failure is kept for one call only. */
  #reload(account: Account, scope: SpendScope, id: string, now: number): void {
    account.reloading = true;
    account.loadedAt = now;
    account.loaded = (async () => {
      try {
        // What was settled before this point is written by the flush, so the ledger's sum includes it.
        // Spend settled during the flush may be counted twice until the next reload: the safe side.
        const unflushedBefore = account.unflushed;
        await this.flush().catch(() => undefined);
        const fromLedger = await this.#ledger.spentSince(scope, id, account.since);
        account.fromLedger = fromLedger;
        account.unflushed = Math.max(0, account.unflushed - unflushedBefore);
        account.known = true;
      } catch {
        // Last known figures stay in force; an account never read stays unknown and refuses calls.
        account.loadedAt = 0;
      } finally {
        account.reloading = false;
      }
    })();
  }

  /** Forgets accounts with nothing reserved, so one account per run does not grow memory forever. */
  #sweep(): void {
    for (const [key, account] of this.#accounts)
      if (account.reserved === 0 && !account.reloading) this.#accounts.delete(key);
  }

  /** Writes settled spend to the ledger now. */
  flush(): Promise<void> {
    return this.#spend.flush();
  }

  /** Flushes and stops the timer. */
  close(): Promise<void> {
    return this.#spend.close();
  }
}

function round(usd: number): string {
  return usd.toFixed(usd < 0.01 ? 6 : 4);
}
