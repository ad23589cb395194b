'use strict';
// The .env `npm start` writes on first run: .env.example with this install's own vault master key
// and API key pepper. The example's are public (and refused with NODE_ENV=production); partner
// secrets stay the sandbox's test values.
const { randomBytes } = require('node:crypto');

function firstEnv(exampleText) {
  return exampleText
    .replace(/^HUB_MASTER_KEYS=.*$/m, `HUB_MASTER_KEYS=v1:${randomBytes(32).toString('base64')}`)
    .replace(/^API_KEY_PEPPER=.*$/m, `API_KEY_PEPPER=v1:${randomBytes(24).toString('base64url')}`);
}

module.exports = { firstEnv };
