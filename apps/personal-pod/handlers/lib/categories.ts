import { randomUUID } from 'crypto';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../../../kit/handlers/http';
import { getPool, transaction } from '../../../kit/handlers/postgres-pool';

export const CreateCategoryInput = z.strictObject({
  name: z.string().trim().min(1).max(80),
  parentId: z.uuid().nullable().optional(),
});

export const MoveCategoryInput = z.strictObject({
  /** The new parent; null makes the category a root. */
  parentId: z.uuid().nullable(),
});

export interface Category {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | null;
  readonly createdAt: string;
}

/** A category with its children: the tree the list route returns. */
export interface CategoryNode extends Category {
  readonly children: CategoryNode[];
}

const toCategory = (r: { id: string; name: string; parent_id: string | null; created_at: Date }): Category =>
  ({ id: r.id, name: r.name, parentId: r.parent_id, createdAt: r.created_at.toISOString() });

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const RESTRICT_VIOLATION = '23001';

/** Creates a category under `parentId` (a root when absent); 409 when a sibling has the name. */
export async function createCategory(userId: string, input: z.infer<typeof CreateCategoryInput>): Promise<Category> {
  try {
    const { rows } = await getPool().query('INSERT INTO categories (id, user_id, parent_id, name) VALUES ($1, $2, $3, $4) RETURNING *',
      [randomUUID(), userId, input.parentId ?? null, input.name]);
    return toCategory(rows[0]);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === UNIQUE_VIOLATION) throw conflict(`a category named "${input.name}" exists there already`);
    // The composite foreign key (user_id, parent_id): no such parent of this user.
    if (code === FOREIGN_KEY_VIOLATION) throw badRequest('no such parent category', [{ path: 'parentId', message: 'not a category of yours' }]);
    throw err;
  }
}

/** The user's categories as a tree (roots and children by name). */
export async function categoryTree(userId: string): Promise<CategoryNode[]> {
  const { rows } = await getPool().query('SELECT * FROM categories WHERE user_id = $1 ORDER BY lower(name), id', [userId]);
  const nodes = new Map<string, CategoryNode>(rows.map((r) => [r.id, { ...toCategory(r), children: [] }]));
  const roots: CategoryNode[] = [];
  for (const node of nodes.values()) {
    if (node.parentId) nodes.get(node.parentId)!.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/**
 * Moves a category (with its subtree) under another parent or to the root. Refuses a move into
 * itself or its own subtree (400: the tree would have a cycle) and a name clash (409).
 */
export async function moveCategory(userId: string, id: string, parentId: string | null): Promise<Category> {
  return transaction(async (client) => {
    // Lock the user's categories: two concurrent moves could otherwise make a cycle together.
    const { rows } = await client.query('SELECT id, parent_id FROM categories WHERE user_id = $1 FOR UPDATE', [userId]);
    const parentOf = new Map<string, string | null>(rows.map((r) => [r.id, r.parent_id]));
    if (!parentOf.has(id)) throw notFound('category');
    if (parentId !== null) {
      if (!parentOf.has(parentId)) throw badRequest('no such parent category', [{ path: 'parentId', message: 'not a category of yours' }]);
      for (let at: string | null | undefined = parentId; at; at = parentOf.get(at)) {
        if (at === id) throw badRequest('a category cannot move into itself or its own subtree', [{ path: 'parentId', message: 'inside the category moved' }]);
      }
    }
    try {
      const updated = await client.query('UPDATE categories SET parent_id = $3 WHERE user_id = $1 AND id = $2 RETURNING *', [userId, id, parentId]);
      return toCategory(updated.rows[0]);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict('a category of that name exists under the new parent');
      throw err;
    }
  });
}

/** Deletes a category without subcategories; its entries keep existing, without a category. */
export async function deleteCategory(userId: string, id: string): Promise<void> {
  try {
    const { rowCount } = await getPool().query('DELETE FROM categories WHERE user_id = $1 AND id = $2', [userId, id]);
    if (!rowCount) throw notFound('category');
  } catch (err) {
    if ([FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION].includes((err as { code?: string }).code ?? '')) throw conflict('the category has subcategories: move or delete them first');
    throw err;
  }
}
