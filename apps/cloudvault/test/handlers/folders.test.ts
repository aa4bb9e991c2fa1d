import '../../../kit/test/handler-env'; // before the handler: Powertools reads it at module load
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { S3Emulator } from '../../../kit/local/s3-emulator';
import { Identity, ParsedResponse, apiEvent, lambdaContext, parseResponse, expectError } from '../../../kit/test/api-event';
import { handler as filesHandler } from '../../handlers/files.lambda';
import { handler } from '../../handlers/folders.lambda';
import * as keys from '../../handlers/lib/keys';
import { HandlerServices, startHandlerServices } from '../support/handler-services';

const A: Identity = { tenantId: 'tenant-a', sub: 'user-a' };
const B: Identity = { tenantId: 'tenant-b', sub: 'user-b' };
const FOLDERS = '/api/folders';
const FOLDER = '/api/folders/{id}';

// S3 for the files-in-folders tests (the fileService's uploads).
let services: HandlerServices;
beforeAll(async () => {
  services = await startHandlerServices({ s3: true });
}, 60_000);
afterAll(async () => services?.stop());

interface CallOptions {
  readonly id?: string;
  readonly body?: unknown;
  readonly query?: Record<string, string>;
}

async function call(identity: Identity | undefined, method: string, opts: CallOptions = {}): Promise<ParsedResponse> {
  const event = apiEvent({
    method,
    resource: opts.id === undefined ? FOLDERS : FOLDER,
    pathParameters: opts.id === undefined ? undefined : { id: opts.id },
    body: opts.body,
    query: opts.query,
    identity,
  });
  return parseResponse(await handler(event, lambdaContext('folders')));
}

async function create(identity: Identity, name: string, parentId?: string): Promise<string> {
  const res = await call(identity, 'POST', { body: { name, parentId } });
  expect(res.statusCode).toBe(201);
  return res.body.id;
}

const get = (identity: Identity, id: string) => call(identity, 'GET', { id });


describe('validation', () => {
  test.each([
    ['a missing name', {}, /body\.name: is required/],
    ['an empty name', { name: '' }, /body\.name: must not be empty/],
    ['a name over 255 characters', { name: 'x'.repeat(256) }, /body\.name: must be at most 255 characters/],
    ['a "/" in the name', { name: 'a/b' }, /body\.name: must not contain "\/"/],
    ['a ".." in the name', { name: '..' }, /body\.name: must not contain "\.\."/],
    ['a control character in the name', { name: 'bell\u0007' }, /body\.name: must not contain control characters/],
    ['a name of the wrong type', { name: 42 }, /body\.name: must be a string/],
    ['a parentId that is not a UUID', { name: 'ok', parentId: '../etc' }, /body\.parentId: must be a UUID/],
    ['a tenantId in the body', { name: 'ok', tenantId: 'tenant-b' }, /tenantId/],
  ])('POST with %s is a 400 that says what is wrong', async (_case, body, message) => {
    expectError(await call(A, 'POST', { body }), 400, 'VALIDATION_FAILED', message);
  });

  test('malformed JSON and a missing body are 400s', async () => {
    expectError(await call(A, 'POST', { body: '{"name": ' }), 400, 'MALFORMED_JSON', /not valid JSON/);
    expectError(await call(A, 'POST'), 400, 'BODY_REQUIRED');
  });

  test('path, query and PATCH bodies are validated', async () => {
    expectError(await call(A, 'GET', { id: 'not-a-uuid' }), 400, 'VALIDATION_FAILED', /path\.id: must be a UUID/);
    const id = await create(A, 'Validated');
    expectError(await call(A, 'PATCH', { id, body: {} }), 400, 'VALIDATION_FAILED', /provide "name" and\/or "parentId"/);
    expectError(await call(A, 'DELETE', { id, query: { recursive: 'yes' } }), 400, 'VALIDATION_FAILED', /query\.recursive/);
    expectError(await call(A, 'PATCH', { id, body: { name: 'a\\b' } }), 400, 'VALIDATION_FAILED', /body\.name/);
    // Nothing changed by the rejected requests.
    expect((await get(A, id)).body.name).toBe('Validated');
  });

  test('anonymous calls are 401 and unknown methods 405', async () => {
    expectError(await call(undefined, 'GET'), 401, 'UNAUTHORIZED');
    expectError(await call(A, 'PUT'), 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('folder tree', () => {
  const T: Identity = { tenantId: 'tenant-tree', sub: 'user-t' };

  test('create, get and list as a tree', async () => {
    const docs = await create(T, 'Docs');
    const reports = await create(T, 'Reports', docs);
    await create(T, '2026', reports);
    await create(T, 'Archive');

    const tree = await call(T, 'GET');
    expect(tree.statusCode).toBe(200);
    expect(tree.body.count).toBe(4);
    expect(tree.body.folders.map((f: any) => f.name)).toEqual(['Archive', 'Docs']);
    const docsNode = tree.body.folders[1];
    expect(docsNode.children[0]).toMatchObject({ name: 'Reports', parentId: docs, children: [{ name: '2026' }] });

    const one = await get(T, docs);
    expect(one.body).toMatchObject({ id: docs, name: 'Docs', parentId: null, childCount: 1, children: [{ id: reports, name: 'Reports', kind: 'FOLDER' }] });
  });

  test('names are unique per parent (case-insensitive) but may repeat elsewhere', async () => {
    const parent = await create(T, 'Unique');
    await create(T, 'Same', parent);
    expectError(await call(T, 'POST', { body: { name: 'same', parentId: parent } }), 409, 'NAME_CONFLICT', /"same" already exists/);
    await create(T, 'Same'); // top level is another parent
  });

  test('concurrent creates of the same name: exactly one wins', async () => {
    const parent = await create(T, 'Race');
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => call(T, 'POST', { body: { name: n % 2 ? 'Same' : 'SAME', parentId: parent } })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    expect((await get(T, parent)).body).toMatchObject({ childCount: 1, children: [expect.objectContaining({ kind: 'FOLDER' })] });
  });

  test('a missing parent is a 404 and creates nothing', async () => {
    const before = (await call(T, 'GET')).body.count;
    expectError(await call(T, 'POST', { body: { name: 'Lost', parentId: '00000000-0000-4000-8000-000000000000' } }), 404, 'NOT_FOUND', /Parent folder/);
    expect((await call(T, 'GET')).body.count).toBe(before);
  });

  test('rename: conflicts are 409, case-only renames work, the old name is freed', async () => {
    const parent = await create(T, 'Renames');
    const a = await create(T, 'a', parent);
    const b = await create(T, 'b', parent);
    expectError(await call(T, 'PATCH', { id: b, body: { name: 'A' } }), 409, 'NAME_CONFLICT');
    expect((await call(T, 'PATCH', { id: a, body: { name: 'A' } })).body.name).toBe('A');
    expect((await call(T, 'PATCH', { id: b, body: { name: 'c' } })).statusCode).toBe(200);
    await create(T, 'b', parent); // 'b' is free again
    expect((await get(T, b)).body).toMatchObject({ name: 'c', parentId: parent });
  });

  test('move updates both parents and can go to the top level', async () => {
    const from = await create(T, 'From');
    const to = await create(T, 'To');
    const moving = await create(T, 'Moving', from);
    await create(T, 'Inner', moving);

    const moved = await call(T, 'PATCH', { id: moving, body: { parentId: to, name: 'Moved' } });
    expect(moved.body).toMatchObject({ id: moving, name: 'Moved', parentId: to });
    expect((await get(T, from)).body).toMatchObject({ childCount: 0, children: [] });
    expect((await get(T, to)).body).toMatchObject({ childCount: 1, children: [{ id: moving, name: 'Moved' }] });
    // The subtree came along: Inner is still under Moving.
    expect((await get(T, moving)).body.children).toEqual([expect.objectContaining({ name: 'Inner' })]);

    expect((await call(T, 'PATCH', { id: moving, body: { parentId: null } })).body.parentId).toBeNull();
    expect((await get(T, to)).body.childCount).toBe(0);
  });

  test('moving a folder into itself or its own descendant is rejected and changes nothing', async () => {
    const top = await create(T, 'Top');
    const mid = await create(T, 'Mid', top);
    const leaf = await create(T, 'Leaf', mid);
    expectError(await call(T, 'PATCH', { id: top, body: { parentId: leaf } }), 409, 'FOLDER_CYCLE', /into itself or one of its own subfolders/);
    expectError(await call(T, 'PATCH', { id: top, body: { parentId: top } }), 409, 'FOLDER_CYCLE');
    expectError(await call(T, 'PATCH', { id: mid, body: { parentId: leaf } }), 409, 'FOLDER_CYCLE');
    expect((await get(T, top)).body).toMatchObject({ parentId: null, childCount: 1 });
    expect((await get(T, mid)).body).toMatchObject({ parentId: top, childCount: 1 });
    // Moving deeper inside a different branch is fine: Leaf from Mid up under Top (old parent is an ancestor of the new one).
    expect((await call(T, 'PATCH', { id: leaf, body: { parentId: top } })).body.parentId).toBe(top);
    expect((await get(T, top)).body.childCount).toBe(2);
    expect((await get(T, mid)).body.childCount).toBe(0);
  });

  test('delete: non-empty is a 409, recursive removes the subtree, empty parent counts drop', async () => {
    const keep = await create(T, 'Keep');
    const root = await create(T, 'Doomed', keep);
    const child = await create(T, 'Child', root);
    const grandchild = await create(T, 'Grandchild', child);
    await create(T, 'Sibling', root);

    expectError(await call(T, 'DELETE', { id: root }), 409, 'FOLDER_NOT_EMPTY', /not empty.*recursive=true/);
    expect((await get(T, grandchild)).statusCode).toBe(200);

    const res = await call(T, 'DELETE', { id: root, query: { recursive: 'true' } });
    expect(res.statusCode).toBe(200);
    expect(res.body.deleted).toHaveLength(4);
    expect(res.body.deleted[res.body.deleted.length - 1]).toBe(root); // deepest first, the folder itself last
    for (const id of [root, child, grandchild]) expect((await get(T, id)).statusCode).toBe(404);
    expect((await get(T, keep)).body.childCount).toBe(0);
    await create(T, 'Doomed', keep); // the name is free again

    const empty = await create(T, 'Empty');
    expect((await call(T, 'DELETE', { id: empty })).body.deleted).toEqual([empty]);
  });
});

describe('tenant isolation', () => {
  let aRoot: string;
  let aChild: string;
  beforeAll(async () => {
    aRoot = await create(A, 'A-private');
    aChild = await create(A, 'A-child', aRoot);
  });

  test("tenant B cannot read, rename, move, delete or nest under tenant A's folders (404)", async () => {
    const bFolder = await create(B, 'B-own');
    expectError(await get(B, aRoot), 404, 'NOT_FOUND');
    expectError(await call(B, 'PATCH', { id: aRoot, body: { name: 'stolen' } }), 404, 'NOT_FOUND');
    expectError(await call(B, 'PATCH', { id: aChild, body: { parentId: null } }), 404, 'NOT_FOUND');
    expectError(await call(B, 'DELETE', { id: aRoot, query: { recursive: 'true' } }), 404, 'NOT_FOUND');
    expectError(await call(B, 'POST', { body: { name: 'intruder', parentId: aRoot } }), 404, 'NOT_FOUND');
    expectError(await call(B, 'PATCH', { id: bFolder, body: { parentId: aRoot } }), 404, 'NOT_FOUND');

    const bTree = await call(B, 'GET');
    expect(bTree.body.folders.map((f: any) => f.name)).toEqual(['B-own']);
    // Tenant A's folders are untouched.
    expect((await get(A, aRoot)).body).toMatchObject({ name: 'A-private', childCount: 1, children: [{ id: aChild }] });
    expect((await get(A, aChild)).body.parentId).toBe(aRoot);
  });

  test('a user without a tenant claim gets a personal tenant, not anyone else\'s data', async () => {
    const loner: Identity = { sub: 'user-without-tenant' };
    expect((await call(loner, 'GET')).body.count).toBe(0);
    expectError(await get(loner, aRoot), 404, 'NOT_FOUND');
  });
});

describe('files in folders (shared with the fileService)', () => {
  const F: Identity = { tenantId: 'tenant-files', sub: 'user-f' };
  let emu: S3Emulator;
  let doc: DynamoDBDocumentClient;
  let table: string;
  let bucket: string;

  beforeAll(() => {
    ({ s3: emu, table, bucket, doc } = services as Required<HandlerServices>);
  });

  /** Creates a file through the fileService and uploads its bytes to the presigned URL. */
  async function uploadFile(identity: Identity, name: string, content: string, folderId?: string): Promise<string> {
    const event = apiEvent({ method: 'POST', resource: '/api/files', body: { name, size: Buffer.byteLength(content), contentType: 'text/plain', folderId }, identity });
    const res = parseResponse(await filesHandler(event, lambdaContext('files')));
    expect(res.statusCode).toBe(201);
    const put = await fetch(res.body.upload.url, { method: 'PUT', body: content, headers: res.body.upload.headers });
    expect(put.status).toBe(200);
    return res.body.file.id;
  }

  /** What the fileProcessor does for a verified version (contract in lib/file-items.ts). */
  async function markAvailable(tenantId: string, fileId: string, size: number): Promise<void> {
    const thumb = keys.thumbnailKey(tenantId, fileId, 1);
    await emu.client.send(new PutObjectCommand({ Bucket: bucket, Key: thumb, Body: 'thumb' }));
    await doc.send(new UpdateCommand({
      TableName: table,
      Key: keys.versionKey(tenantId, fileId, 1),
      UpdateExpression: 'SET #s = :a, thumbnailKey = :t',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':a': 'AVAILABLE', ':t': thumb },
    }));
    await doc.send(new UpdateCommand({
      TableName: table,
      Key: keys.fileKey(tenantId, fileId),
      UpdateExpression: 'SET #s = :a, currentVersion = :one, thumbnailKey = :t',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':a': 'AVAILABLE', ':one': 1, ':t': thumb },
    }));
    await doc.send(new UpdateCommand({ TableName: table, Key: keys.tenantKey(tenantId), UpdateExpression: 'ADD storedBytes :n', ExpressionAttributeValues: { ':n': size } }));
  }

  async function objectExists(key: string): Promise<boolean> {
    try {
      await emu.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch {
      return false;
    }
  }

  const item = async (key: keys.Key) => (await doc.send(new GetCommand({ TableName: table, Key: key }))).Item;

  test('files count as children and share the name guard with folders', async () => {
    const folder = await create(F, 'Docs');
    const fileId = await uploadFile(F, 'readme.txt', 'hello', folder);
    expect((await get(F, folder)).body).toMatchObject({ childCount: 1, children: [{ id: fileId, name: 'readme.txt', kind: 'FILE' }] });
    expectError(await call(F, 'POST', { body: { name: 'README.TXT', parentId: folder } }), 409, 'NAME_CONFLICT', /"README\.TXT" already exists/);
    const sub = await create(F, 'Sub', folder);
    expectError(await call(F, 'PATCH', { id: sub, body: { name: 'Readme.txt' } }), 409, 'NAME_CONFLICT');
    expect((await get(F, folder)).body.childCount).toBe(2);
  });

  test('a non-recursive delete of a folder holding a file is a 409 and deletes nothing', async () => {
    const folder = await create(F, 'Holds a file');
    const fileId = await uploadFile(F, 'only.txt', 'x', folder);
    expectError(await call(F, 'DELETE', { id: folder }), 409, 'FOLDER_NOT_EMPTY', /not empty/);
    expect((await get(F, folder)).body.childCount).toBe(1);
    expect(await item(keys.fileKey(F.tenantId!, fileId))).toBeDefined();
  });

  test('a recursive delete removes the files inside: versions, name guards, objects, thumbnails and stored bytes', async () => {
    await doc.send(new PutCommand({ TableName: table, Item: { ...keys.tenantKey(F.tenantId!), storedBytes: 100 } }));
    const keep = await create(F, 'Keep');
    const top = await create(F, 'Top', keep);
    const sub = await create(F, 'Inner', top);
    const inTop = await uploadFile(F, 'top.txt', 'top file', top);
    const inSub = await uploadFile(F, 'deep.txt', 'deeper file!', sub);
    await markAvailable(F.tenantId!, inSub, 12);
    const objects = [
      keys.objectKey(F.tenantId!, inTop, 1),
      keys.objectKey(F.tenantId!, inSub, 1),
      keys.thumbnailKey(F.tenantId!, inSub, 1),
    ];
    for (const key of objects) expect(await objectExists(key)).toBe(true);
    expect((await emu.client.send(new GetObjectCommand({ Bucket: bucket, Key: objects[1] }))).ContentLength).toBe(12);

    const res = await call(F, 'DELETE', { id: top, query: { recursive: 'true' } });
    expect(res.statusCode).toBe(200);
    expect(res.body.deleted).toEqual([sub, top]);
    expect([...res.body.deletedFiles].sort()).toEqual([inTop, inSub].sort());
    expect(res.body.freedBytes).toBe(12);

    for (const key of objects) expect(await objectExists(key)).toBe(false);
    for (const [fileId, folderId, name] of [[inTop, top, 'top.txt'], [inSub, sub, 'deep.txt']]) {
      expect(await item(keys.fileKey(F.tenantId!, fileId))).toBeUndefined();
      expect(await item(keys.versionKey(F.tenantId!, fileId, 1))).toBeUndefined();
      expect(await item(keys.nameGuardKey(F.tenantId!, folderId, name))).toBeUndefined();
    }
    expect((await item(keys.tenantKey(F.tenantId!)))!.storedBytes).toBe(100);
    expect((await get(F, keep)).body).toMatchObject({ childCount: 0, children: [] });
    // Nothing of the deleted files is left in the tenant's partition.
    const left = await doc.send(new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.tenantPk(F.tenantId!) },
    }));
    expect(JSON.stringify(left.Items)).not.toMatch(new RegExp(`${inTop}|${inSub}`));
  });

  describe('role model: deleting is for the owner or a tenant admin', () => {
    const OWNER: Identity = { tenantId: 'tenant-roles', sub: 'user-owner', groups: ['member'] };
    const OTHER: Identity = { tenantId: 'tenant-roles', sub: 'user-other', groups: ['member'] };
    const ADMIN: Identity = { tenantId: 'tenant-roles', sub: 'user-admin', groups: ['admin'] };

    /** The tenant's whole partition and its objects: "nothing changed" is checked on storage. */
    async function state(): Promise<unknown> {
      const items = await doc.send(new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.tenantPk('tenant-roles') },
        ConsistentRead: true,
      }));
      const listed = await emu.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tenants/tenant-roles/' }));
      return { items: items.Items, objects: (listed.Contents ?? []).map((o) => o.Key).sort() };
    }

    test('another member may delete neither an empty folder nor a subtree: 403, nothing changed', async () => {
      const empty = await create(OWNER, 'Owner empty');
      const tree = await create(OWNER, 'Owner tree');
      await uploadFile(OWNER, 'mine.txt', 'mine', tree);
      const before = await state();
      expectError(await call(OTHER, 'DELETE', { id: empty }), 403, 'FORBIDDEN', /owner or a tenant admin/);
      expectError(await call(OTHER, 'DELETE', { id: tree, query: { recursive: 'true' } }), 403, 'FORBIDDEN', /owner or a tenant admin/);
      expect(await state()).toEqual(before);
    });

    test('the owner may not delete recursively what other users put inside: 403, nothing changed', async () => {
      const tree = await create(OWNER, 'Shared tree');
      const inner = await create(OTHER, 'Their folder', tree);
      await uploadFile(OWNER, 'mine.txt', 'mine', inner);
      const theirs = await uploadFile(OTHER, 'theirs.txt', 'theirs', tree);
      const before = await state();
      expectError(await call(OWNER, 'DELETE', { id: tree, query: { recursive: 'true' } }), 403, 'FORBIDDEN', /2 folder\(s\) or file\(s\) in it belong to other users/);
      expect(await state()).toEqual(before);
      expect(await objectExists(keys.objectKey('tenant-roles', theirs, 1))).toBe(true);
    });

    test('the owner deletes their own folder and subtree', async () => {
      const empty = await create(OWNER, 'Own empty');
      expect((await call(OWNER, 'DELETE', { id: empty })).statusCode).toBe(200);
      const tree = await create(OWNER, 'Own tree');
      await create(OWNER, 'Own inner', tree);
      const file = await uploadFile(OWNER, 'own.txt', 'own', tree);
      const res = await call(OWNER, 'DELETE', { id: tree, query: { recursive: 'true' } });
      expect(res.statusCode).toBe(200);
      expect(res.body.deletedFiles).toEqual([file]);
      expectError(await get(OWNER, tree), 404, 'NOT_FOUND');
    });

    test('an admin deletes any folder and subtree, whoever owns what is inside', async () => {
      const empty = await create(OTHER, 'Members empty');
      expect((await call(ADMIN, 'DELETE', { id: empty })).statusCode).toBe(200);
      const tree = await create(OWNER, 'Mixed tree');
      await create(OTHER, 'Other inner', tree);
      const theirs = await uploadFile(OTHER, 'theirs.txt', 'theirs', tree);
      const res = await call(ADMIN, 'DELETE', { id: tree, query: { recursive: 'true' } });
      expect(res.statusCode).toBe(200);
      expect(res.body.deletedFiles).toEqual([theirs]);
      expect(await objectExists(keys.objectKey('tenant-roles', theirs, 1))).toBe(false);
    });

    test('a folder without a recorded owner is for admins only', async () => {
      const legacy = await create(OWNER, 'Legacy');
      await doc.send(new UpdateCommand({ TableName: table, Key: keys.folderKey('tenant-roles', legacy), UpdateExpression: 'REMOVE createdBy' }));
      expectError(await call(OWNER, 'DELETE', { id: legacy }), 403, 'FORBIDDEN');
      expect((await call(ADMIN, 'DELETE', { id: legacy })).statusCode).toBe(200);
    });
  });
});
