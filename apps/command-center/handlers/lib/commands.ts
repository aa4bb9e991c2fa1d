import { randomUUID } from 'crypto';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { conflict, notFound } from '../../../kit/handlers/http';
import { getPool, transaction } from '../../../kit/handlers/postgres-pool';

export const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type CommandStatus = (typeof STATUSES)[number];

/** Which status may follow which: finished commands stay finished. */
export const TRANSITIONS: Record<CommandStatus, readonly CommandStatus[]> = {
  pending: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** What a client sends to create a command. */
export const CreateCommandInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  target: z.string().trim().min(1).max(200),
  payload: z.record(z.string(), z.unknown()).default({}).refine((p) => JSON.stringify(p).length <= 8_192, 'payload over 8 KiB'),
});
export type CreateCommandInput = z.infer<typeof CreateCommandInput>;

export const StatusInput = z.strictObject({
  status: z.enum(STATUSES),
  /** Optimistic locking: the version the client saw (409 when the command changed since). */
  expectedVersion: z.number().int().positive().optional(),
});

export const ListQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListQuery = z.infer<typeof ListQuery>;

export interface Command {
  readonly id: string;
  readonly name: string;
  readonly target: string;
  readonly payload: Record<string, unknown>;
  readonly status: CommandStatus;
  readonly version: number;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface Row {
  id: string;
  name: string;
  target: string;
  payload: Record<string, unknown>;
  status: CommandStatus;
  version: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}
const COLUMNS = 'id, name, target, payload, status, version, created_by, created_at, updated_at';

function toCommand(r: Row): Command {
  return {
    id: r.id,
    name: r.name,
    target: r.target,
    payload: r.payload,
    status: r.status,
    version: r.version,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/**
 * Creates a command (status pending) and its first event in one transaction. With an idempotency
 * key, a retry returns the command the first request created (`created: false`).
 */
export async function createCommand(
  tenantId: string, userId: string, input: CreateCommandInput, idempotencyKey?: string,
): Promise<{ command: Command; created: boolean }> {
  return transaction(async (db) => {
    const inserted = await db.query<Row>(
      `INSERT INTO commands (id, tenant_id, name, target, payload, created_by, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`,
      [randomUUID(), tenantId, input.name, input.target, JSON.stringify(input.payload), userId, idempotencyKey ?? null]);
    if (inserted.rows.length === 0) {
      const existing = await db.query<Row>(`SELECT ${COLUMNS} FROM commands WHERE tenant_id = $1 AND idempotency_key = $2`, [tenantId, idempotencyKey]);
      return { command: toCommand(existing.rows[0]), created: false };
    }
    const command = toCommand(inserted.rows[0]);
    await insertEvent(db, tenantId, command.id, null, 'pending', userId);
    return { command, created: true };
  });
}

/** The tenant's command, or undefined (another tenant's command does not exist for this one). */
export async function getCommand(tenantId: string, id: string): Promise<Command | undefined> {
  const result = await getPool().query<Row>(`SELECT ${COLUMNS} FROM commands WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return result.rows[0] ? toCommand(result.rows[0]) : undefined;
}

/** The tenant's newest commands, optionally of one status. */
export async function listCommands(tenantId: string, query: ListQuery): Promise<Command[]> {
  const result = await getPool().query<Row>(
    `SELECT ${COLUMNS} FROM commands WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [tenantId, query.status ?? null, query.limit]);
  return result.rows.map(toCommand);
}

/**
 * Moves a command to `status` in one transaction: locks the row, checks the transition (and the
 * expected version), updates it and records the event. 404 for another tenant's command, 409 for
 * a transition that is not allowed or a stale version. Asking for the status the command already
 * has changes nothing (`changed: false`): a retried request is not a conflict.
 */
export async function updateStatus(
  tenantId: string, userId: string, id: string, status: CommandStatus, expectedVersion?: number,
): Promise<{ command: Command; changed: boolean }> {
  return transaction(async (db) => {
    const current = await db.query<Row>(`SELECT ${COLUMNS} FROM commands WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id]);
    const row = current.rows[0];
    if (!row) throw notFound('command');
    if (row.status === status && (expectedVersion === undefined || expectedVersion === row.version - 1)) {
      return { command: toCommand(row), changed: false };
    }
    if (expectedVersion !== undefined && row.version !== expectedVersion) {
      throw conflict(`the command is at version ${row.version}, not ${expectedVersion}`);
    }
    if (!TRANSITIONS[row.status].includes(status)) {
      throw conflict(`a ${row.status} command cannot become ${status}`);
    }
    const updated = await db.query<Row>(
      `UPDATE commands SET status = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [tenantId, id, status]);
    await insertEvent(db, tenantId, id, row.status, status, userId);
    return { command: toCommand(updated.rows[0]), changed: true };
  });
}

async function insertEvent(
  db: PoolClient, tenantId: string, commandId: string, from: CommandStatus | null, to: CommandStatus, actor: string,
): Promise<void> {
  await db.query('INSERT INTO command_events (command_id, tenant_id, from_status, to_status, actor) VALUES ($1, $2, $3, $4, $5)',
    [commandId, tenantId, from, to, actor]);
}
