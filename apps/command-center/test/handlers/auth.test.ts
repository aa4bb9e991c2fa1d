import { callerFromClaims, parseGroups, requireCommander, roleOf } from '../../handlers/lib/auth';

// `cognito:groups` arrives in several forms: an array in the JWT, a comma-separated string from the
// REST API's Cognito authorizer and from our WebSocket authorizer's context, `[a b]` in some REST setups.
test.each([
  [['admin', 'viewer'], ['admin', 'viewer']],
  ['admin,viewer', ['admin', 'viewer']],
  ['[admin viewer]', ['admin', 'viewer']],
  ['[admin, viewer]', ['admin', 'viewer']],
  ['', []],
  [undefined, []],
  [42, []],
])('groups %p -> %p', (value, groups) => {
  expect(parseGroups(value)).toEqual(groups);
});

test('the most powerful role wins; other groups are no role', () => {
  expect(roleOf(['viewer', 'admin'])).toBe('admin');
  expect(roleOf(['operator', 'viewer'])).toBe('operator');
  expect(roleOf(['staff'])).toBeUndefined();
});

test('the caller comes from the claims only, and needs a tenant and a role', () => {
  expect(callerFromClaims({ 'sub': 'u1', 'custom:tenantId': 't-1', 'cognito:groups': 'viewer' })).toEqual({ userId: 'u1', tenantId: 't-1', role: 'viewer' });
  expect(() => callerFromClaims(undefined)).toThrow('no authenticated user');
  expect(() => callerFromClaims({ 'sub': 'u1', 'cognito:groups': 'admin' })).toThrow('no tenant');
  expect(() => callerFromClaims({ 'sub': 'u1', 'custom:tenantId': '../other', 'cognito:groups': 'admin' })).toThrow('no tenant');
  expect(() => callerFromClaims({ 'sub': 'u1', 'custom:tenantId': 't-1' })).toThrow('no command center role');
});

test('viewers may not command; operators and admins may', () => {
  expect(() => requireCommander({ userId: 'u', tenantId: 't', role: 'viewer' })).toThrow('may read but not command');
  expect(() => requireCommander({ userId: 'u', tenantId: 't', role: 'operator' })).not.toThrow();
  expect(() => requireCommander({ userId: 'u', tenantId: 't', role: 'admin' })).not.toThrow();
});
