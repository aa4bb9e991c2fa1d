/**
 * folderService: the tenant's folder hierarchy.
 *
 *   GET    /api/folders          the tenant's folder tree
 *   POST   /api/folders          create `{ name, parentId? }`
 *   GET    /api/folders/{id}     one folder and its children
 *   PATCH  /api/folders/{id}     rename and/or move `{ name?, parentId? }` (parentId null = top level)
 *   DELETE /api/folders/{id}     delete when empty, or the whole subtree (files included) with `?recursive=true`
 *                                (the folder's owner or an admin; recursively, a member must own the whole subtree)
 *
 * Invariants, kept by DynamoDB transactions (keys in lib/keys.ts, shared with the fileService in
 * lib/hierarchy.ts, so folders and files obey the same rules):
 * - names are unique per parent among folders AND files (case-insensitive): a `NAME#` guard item
 *   is written with attribute_not_exists in the same transaction as the folder or file;
 * - no orphans: each folder counts its children, folders and files (`childCount`); creating or
 *   moving a child updates the parent's counter on condition that the parent exists, and a folder
 *   is deleted only on condition that its counter is 0, so a child can never be attached to a
 *   folder being deleted; a recursive delete removes each folder's files (versions, objects,
 *   storedBytes) before the folder;
 * - no cycles: a move walks the new parent's ancestors, rejects the move when the folder itself is
 *   one of them, and checks in the transaction that none of those ancestors moved meanwhile.
 */
import { randomUUID } from 'crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod/mini';
import { tableName } from './lib/clients';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from './lib/errors';
import { deleteFileCompletely, filesInFolder } from './lib/file-items';
import { TransactItem, counterUpdate, folderOp, nameConflict, nameGuardDelete, nameGuardPut, transact } from './lib/hierarchy';
import { created, ok } from './lib/http';
import { FOLDER_PREFIX, GSI, childIndex, folderKey, nameKey, tenantPk } from './lib/keys';
import { ApiRequest, MetricUnit, metrics } from './lib/observability';
import { getItem, queryAll } from './lib/query';
import { assertMayDestroy, isAdmin, mayDestroy } from './lib/roles';
import { routeHandler } from './lib/routing';
import { booleanQuery, idSchema, nameSchema, parseBody, parsePath, parseQuery } from './lib/validation';
import './lib/zod-locale';

/** A move is verified against at most this many ancestors (a transaction holds at most 100 items). */
export const MAX_MOVE_DEPTH = 90;

/** The stored folder item. */
interface FolderItem {
  readonly pk: string;
  readonly sk: string;
  readonly id: string;
  readonly name: string;
  readonly parentId?: string;
  readonly childCount: number;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string;
}

/** A folder as clients see it. */
export interface Folder {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | null;
  readonly childCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface FolderNode extends Folder {
  readonly children: FolderNode[];
}

const toFolder = (item: FolderItem): Folder => ({
  id: item.id,
  name: item.name,
  parentId: item.parentId ?? null,
  childCount: item.childCount,
  createdAt: item.createdAt,
  updatedAt: item.updatedAt,
});

const createBody = z.strictObject({ name: nameSchema, parentId: z.optional(idSchema) });
const updateBody = z
  .strictObject({ name: z.optional(nameSchema), parentId: z.optional(z.nullable(idSchema)) })
  .check(z.refine((b) => b.name !== undefined || b.parentId !== undefined, { message: 'provide "name" and/or "parentId"' }));
const idPath = z.object({ id: idSchema });
const deleteQuery = z.strictObject({ recursive: z.optional(booleanQuery) });

export const handler = routeHandler('folders', {
  'GET /api/folders': listTree,
  'POST /api/folders': createFolder,
  'GET /api/folders/{id}': getFolder,
  'PATCH /api/folders/{id}': updateFolder,
  'DELETE /api/folders/{id}': deleteFolder,
});

async function listTree(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const folders = (await allFolders(req.caller.tenantId)).map(toFolder);
  const nodes = new Map<string, FolderNode>(folders.map((f) => [f.id, { ...f, children: [] }]));
  const roots: FolderNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
    (parent ? parent.children : roots).push(node);
  }
  const byName = (a: FolderNode, b: FolderNode) => a.name.localeCompare(b.name);
  for (const node of nodes.values()) node.children.sort(byName);
  return ok({ folders: roots.sort(byName), count: folders.length });
}

async function createFolder(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId, userId } = req.caller;
  const body = parseBody(req.event, createBody);
  const now = new Date().toISOString();
  const id = randomUUID();
  const item: FolderItem & Record<string, unknown> = {
    ...folderKey(tenantId, id),
    id,
    type: 'FOLDER',
    name: body.name,
    parentId: body.parentId,
    childCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    ...childIndex(tenantId, body.parentId, 'FOLDER', body.name),
  };

  const items: TransactItem[] = [
    { Put: { TableName: tableName(), Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
    nameGuardPut(tenantId, body.parentId, body.name, 'FOLDER', id),
  ];
  if (body.parentId) items.push(counterUpdate(tenantId, body.parentId, +1));

  await transact(items, (index) => {
    if (index === 1) return nameConflict(body.name);
    if (index === 2) return new NotFoundError(`Parent folder ${body.parentId} not found`);
    return undefined;
  });
  metrics.addMetric('FoldersCreated', MetricUnit.Count, 1);
  return created(toFolder(item));
}

async function getFolder(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const folder = await mustGetFolder(tenantId, id);
  // Children (folders and files) come from the FolderChildren index, sorted by kind and name.
  const children = await queryAll({
    TableName: tableName(),
    IndexName: GSI.folderChildren,
    KeyConditionExpression: 'gsi2pk = :p',
    ExpressionAttributeValues: { ':p': childIndex(tenantId, id, 'FOLDER', '').gsi2pk },
  });
  return ok({
    ...toFolder(folder),
    children: children.map((c) => ({ id: c.id as string, name: c.name as string, kind: (c.type as string) ?? 'FOLDER' })),
  });
}

async function updateFolder(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { tenantId } = req.caller;
  const { id } = parsePath(req.event, idPath);
  const body = parseBody(req.event, updateBody);
  const folder = await mustGetFolder(tenantId, id);

  const newName = body.name ?? folder.name;
  const oldParent = folder.parentId;
  const newParent = body.parentId === undefined ? oldParent : body.parentId ?? undefined;
  const moved = newParent !== oldParent;
  const renamed = newName !== folder.name;
  if (!moved && !renamed) return ok(toFolder(folder));

  // Cycle check: the new parent's ancestors (the new parent included) must not contain the folder.
  const ancestors = moved && newParent ? await ancestorsOf(tenantId, newParent, id) : [];

  const now = new Date().toISOString();
  const index = childIndex(tenantId, newParent, 'FOLDER', newName);
  const items: TransactItem[] = [{
    Update: {
      TableName: tableName(),
      Key: folderKey(tenantId, id),
      UpdateExpression: `SET #name = :name, gsi2pk = :g2pk, gsi2sk = :g2sk, updatedAt = :now, version = version + :one${newParent ? ', parentId = :parent' : ' REMOVE parentId'}`,
      ConditionExpression: 'version = :version',
      ExpressionAttributeNames: { '#name': 'name' },
      ExpressionAttributeValues: {
        ':name': newName,
        ':g2pk': index.gsi2pk,
        ':g2sk': index.gsi2sk,
        ':now': now,
        ':one': 1,
        ':version': folder.version,
        ...(newParent ? { ':parent': newParent } : {}),
      },
    },
  }];
  let guardIndex = -1;
  if (moved || nameKey(newName) !== nameKey(folder.name)) {
    items.push(nameGuardDelete(tenantId, oldParent, folder.name));
    guardIndex = items.push(nameGuardPut(tenantId, newParent, newName, 'FOLDER', id)) - 1;
  }
  const parentIndexes = new Set<number>();
  if (moved) {
    // One operation per item: counter updates and ancestor checks on the same folder are merged.
    const ops = new Map<string, { delta: number; parentId?: string | null }>();
    for (const a of ancestors) ops.set(a.id, { delta: 0, parentId: a.parentId ?? null });
    if (oldParent) ops.set(oldParent, { ...(ops.get(oldParent) ?? {}), delta: -1 });
    if (newParent) ops.set(newParent, { ...(ops.get(newParent) ?? {}), delta: +1 });
    for (const [folderId, op] of ops) {
      parentIndexes.add(items.push(folderOp(tenantId, folderId, op.delta, op.parentId)) - 1);
    }
  }

  await transact(items, (i) => {
    if (i === 0) return new ConflictError('Folder was changed by another request; reload and retry', undefined, 'CONCURRENT_MODIFICATION');
    if (i === guardIndex) return nameConflict(newName);
    if (parentIndexes.has(i)) return new ConflictError('The destination folder was moved or deleted meanwhile; reload and retry', undefined, 'CONCURRENT_MODIFICATION');
    return undefined;
  });
  if (moved) metrics.addMetric('FoldersMoved', MetricUnit.Count, 1);
  if (renamed) metrics.addMetric('FoldersRenamed', MetricUnit.Count, 1);
  return ok(toFolder({ ...folder, name: newName, parentId: newParent, updatedAt: now, version: folder.version + 1 }));
}

async function deleteFolder(req: ApiRequest): Promise<APIGatewayProxyResult> {
  const { caller } = req;
  const { tenantId } = caller;
  const { id } = parsePath(req.event, idPath);
  const { recursive } = parseQuery(req.event, deleteQuery);
  const folder = await mustGetFolder(tenantId, id);
  assertMayDestroy(caller, folder.createdBy, 'delete this folder');

  if (!recursive) {
    await deleteOne(tenantId, folder);
    metrics.addMetric('FoldersDeleted', MetricUnit.Count, 1);
    return ok({ deleted: [id] });
  }

  // Deepest first, each folder's files before the folder: every folder is empty when it is
  // deleted, so a failure half-way leaves a smaller but consistent tree (no orphans) and the
  // request can simply be repeated.
  const all = await allFolders(tenantId);
  const children = new Map<string, FolderItem[]>();
  for (const f of all) {
    if (f.parentId) children.set(f.parentId, [...(children.get(f.parentId) ?? []), f]);
  }
  const order: FolderItem[] = [];
  const visit = (f: FolderItem) => {
    for (const c of children.get(f.id) ?? []) visit(c);
    order.push(f);
  };
  visit(all.find((f) => f.id === id) ?? folder);
  const plan = await Promise.all(order.map(async (f) => ({ folder: f, files: await filesInFolder(tenantId, f.id) })));
  // A member's recursive delete must not take other users' work with it: every folder and file of
  // the subtree must be theirs, checked before anything is deleted. A child added after this
  // listing is not deleted: its folder's childCount is then above 0 and that folder's delete is a 409.
  if (!isAdmin(caller)) {
    const foreign = plan.flatMap((p) => [p.folder, ...p.files]).filter((item) => !mayDestroy(caller, item.createdBy));
    if (foreign.length > 0) {
      throw new ForbiddenError(`Only a tenant admin may delete this folder recursively: ${foreign.length} folder(s) or file(s) in it belong to other users`);
    }
  }
  const deletedFiles: string[] = [];
  let freedBytes = 0;
  for (const { folder: f, files } of plan) {
    for (const file of files) {
      freedBytes += (await deleteFileCompletely(tenantId, file)).freedBytes;
      deletedFiles.push(file.id);
    }
    await deleteOne(tenantId, f);
  }
  metrics.addMetric('FoldersDeleted', MetricUnit.Count, order.length);
  return ok({ deleted: order.map((f) => f.id), deletedFiles, freedBytes });
}

/** Deletes one empty folder, its name guard and its place in the parent's child counter. */
async function deleteOne(tenantId: string, folder: FolderItem): Promise<void> {
  const items: TransactItem[] = [
    {
      Delete: {
        TableName: tableName(),
        Key: folderKey(tenantId, folder.id),
        ConditionExpression: 'attribute_exists(pk) AND childCount = :zero',
        ExpressionAttributeValues: { ':zero': 0 },
      },
    },
    nameGuardDelete(tenantId, folder.parentId, folder.name),
  ];
  if (folder.parentId) items.push(counterUpdate(tenantId, folder.parentId, -1));
  await transact(items, (i) => {
    if (i === 0) {
      return new ConflictError(`Folder "${folder.name}" is not empty; delete its contents first or pass ?recursive=true`, undefined, 'FOLDER_NOT_EMPTY');
    }
    return undefined;
  });
}

/** The ancestors of `startId` (itself first, up to the top level); 409 when `movingId` is among them. */
async function ancestorsOf(tenantId: string, startId: string, movingId: string): Promise<FolderItem[]> {
  const chain: FolderItem[] = [];
  let current: string | undefined = startId;
  while (current) {
    if (current === movingId) {
      throw new ConflictError('A folder cannot be moved into itself or one of its own subfolders', { folderId: movingId, parentId: startId }, 'FOLDER_CYCLE');
    }
    if (chain.length >= MAX_MOVE_DEPTH) {
      throw new BadRequestError(`The destination is nested more than ${MAX_MOVE_DEPTH} levels deep`, undefined, 'TOO_DEEP');
    }
    const item: FolderItem | undefined = await getFolderItem(tenantId, current);
    if (!item) {
      throw new NotFoundError(current === startId ? `Parent folder ${startId} not found` : 'The destination folder was moved or deleted meanwhile');
    }
    chain.push(item);
    current = item.parentId;
  }
  return chain;
}

async function getFolderItem(tenantId: string, id: string): Promise<FolderItem | undefined> {
  return getItem<FolderItem>(folderKey(tenantId, id));
}

/** The folder, or 404: also when the id belongs to another tenant (the key carries the caller's tenant). */
async function mustGetFolder(tenantId: string, id: string): Promise<FolderItem> {
  const folder = await getFolderItem(tenantId, id);
  if (!folder) throw new NotFoundError(`Folder ${id} not found`);
  return folder;
}

async function allFolders(tenantId: string): Promise<FolderItem[]> {
  return (await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': FOLDER_PREFIX },
    ConsistentRead: true,
  })) as unknown as FolderItem[];
}
