/** Length of generated API keys: the secret's first value and every rotated one. */
export const API_KEY_LENGTH = 48;

/**
 * Source of the single-user rotation function of SecretStore API keys: a small CommonJS module
 * deployed with `lambda.Code.fromInline` (the library has no build-time bundling yet; inline code
 * must stay under 4096 characters). The AWS SDK v3 comes from the Lambda Node.js runtime.
 *
 * The secret's whole SecretString is the API key: 48 letters and digits. Secrets Manager calls
 * the function four times per rotation with the same ClientRequestToken (the new version id):
 * - createSecret: a new random key is stored as version AWSPENDING (once: a retry finds it);
 * - setSecret: nothing to set, because the service that accepts the key reads it from Secrets
 *   Manager itself (it should accept AWSCURRENT and AWSPREVIOUS while callers pick up the new key);
 * - testSecret: the pending value is present and well-formed;
 * - finishSecret: AWSCURRENT moves to the new version (the old one becomes AWSPREVIOUS).
 *
 * `makeHandler(client)` takes any object with the aggregated SecretsManager client's methods,
 * so unit tests inject a fake; `handler` uses a real client created once per container.
 */
export const API_KEY_ROTATION_SOURCE = `'use strict';
const { SecretsManager } = require('@aws-sdk/client-secrets-manager');

const KEY_LENGTH = ${API_KEY_LENGTH};
const WELL_FORMED = new RegExp('^[A-Za-z0-9]{' + KEY_LENGTH + '}$');

function log(step, id, token, message) {
  console.log(JSON.stringify({ step, secretId: id, version: token, message }));
}

function makeHandler(client) {
  return async (event) => {
    const { SecretId: id, ClientRequestToken: token, Step: step } = event;
    const meta = await client.describeSecret({ SecretId: id });
    if (meta.RotationEnabled === false) throw new Error('Rotation is not enabled for ' + id);
    const versions = meta.VersionIdsToStages || {};
    const stages = versions[token];
    if (!stages) throw new Error('Version ' + token + ' of ' + id + ' has no stage for rotation');
    if (stages.includes('AWSCURRENT')) return log(step, id, token, 'already AWSCURRENT');
    if (!stages.includes('AWSPENDING')) throw new Error('Version ' + token + ' of ' + id + ' is not AWSPENDING');

    switch (step) {
      case 'createSecret': return createSecret(client, event);
      case 'setSecret': return log(step, id, token, 'nothing to set: the key is read from Secrets Manager');
      case 'testSecret': return testSecret(client, id, token);
      case 'finishSecret': return finishSecret(client, id, token, versions);
      default: throw new Error('Unknown rotation step ' + step);
    }
  };
}

async function createSecret(client, event) {
  const { SecretId: id, ClientRequestToken: token, RotationToken } = event;
  try {
    await client.getSecretValue({ SecretId: id, VersionId: token, VersionStage: 'AWSPENDING' });
    return log('createSecret', id, token, 'pending version exists');
  } catch (err) {
    if (err.name !== 'ResourceNotFoundException') throw err;
  }
  const { RandomPassword } = await client.getRandomPassword({
    PasswordLength: KEY_LENGTH, ExcludePunctuation: true, IncludeSpace: false, RequireEachIncludedType: true,
  });
  await client.putSecretValue({
    SecretId: id, ClientRequestToken: token, SecretString: RandomPassword, VersionStages: ['AWSPENDING'],
    ...(RotationToken ? { RotationToken } : {}),
  });
  log('createSecret', id, token, 'pending version created');
}

async function testSecret(client, id, token) {
  const { SecretString } = await client.getSecretValue({ SecretId: id, VersionId: token, VersionStage: 'AWSPENDING' });
  if (!WELL_FORMED.test(SecretString || '')) {
    throw new Error('Pending version ' + token + ' of ' + id + ' is not a ' + KEY_LENGTH + '-character alphanumeric key');
  }
  log('testSecret', id, token, 'pending key is well-formed');
}

async function finishSecret(client, id, token, versions) {
  const current = Object.keys(versions).find((v) => versions[v].includes('AWSCURRENT'));
  await client.updateSecretVersionStage({
    SecretId: id, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current,
  });
  log('finishSecret', id, token, 'AWSCURRENT moved from ' + current);
}

module.exports = { makeHandler, handler: makeHandler(new SecretsManager({})) };
`;
