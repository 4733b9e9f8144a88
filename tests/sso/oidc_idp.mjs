// A real OpenID Connect provider for the single sign-on tests: node-oidc-provider (certified
// by the OpenID Foundation) with one confidential client and a handful of accounts, and a
// minimal sign-in page of its own (the library's dev interactions cannot assert `amr`).
//
// Configuration comes from one JSON document in the IDP_CONFIG environment variable:
//   { "port": 0, "client": {"client_id", "client_secret", "redirect_uris": [...]},
//     "accounts": {"<sub>": {"email", "email_verified", "name", "password", "amr": [...], "acr"}} }
// It prints "listening <issuer>" on stdout once it answers.
import http from 'node:http';
import { once } from 'node:events';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.IDP_CONFIG);
const server = http.createServer();
server.listen(config.port ?? 0, '127.0.0.1');
await once(server, 'listening');
const issuer = `http://127.0.0.1:${server.address().port}`;

const accounts = config.accounts;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // acr, amr (RFC 8176) and auth_time ride with the openid scope so every ID token says how
  // the person signed in: the platform decides from amr whether a second factor was used.
  claims: { sid: null, openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  acrValues: ['urn:example:password', 'urn:example:mfa'],
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: account.email_verified, name: account.name };
      },
    };
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['single-sign-on-tests-only'] },
  pkce: { required: () => false },
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
});

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

function signInPage(uid, message) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example University sign-in</title></head>
<body><main><h1>Example University</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="email">University e-mail</label> <input id="email" name="email" type="email" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in to Example University</button></form></main></body></html>`;
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { uid, prompt, params } = details;
  if (prompt.name === 'login') {
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = signInPage(uid, '');
      return undefined;
    }
    const form = await readForm(ctx.req);
    const entry = Object.entries(accounts).find(([, a]) => a.email === form.get('email') && a.password === form.get('password'));
    if (!entry) {
      ctx.type = 'html';
      ctx.body = signInPage(uid, 'Wrong e-mail or password.');
      return undefined;
    }
    const [sub, account] = entry;
    const login = { accountId: sub, amr: account.amr ?? ['pwd'], acr: account.acr ?? 'urn:example:password' };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false }));
    return undefined;
  }
  // Consent: this is the institution's own application, granted what it asks for.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope));
  const grantId = await grant.save();
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true }));
  return undefined;
});

server.on('request', provider.callback());
process.stdout.write(`listening ${issuer}\n`);
