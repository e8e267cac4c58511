// Drives the official Pipedream Node SDK against the workbench REST server.
// Configuration comes from WB_* environment variables; prints one JSON object.
import { PipedreamClient } from "@pipedream/sdk";

const env = process.env;
const pd = new PipedreamClient({
  baseUrl: env.WB_BASE_URL,
  projectId: env.WB_PROJECT_ID,
  clientId: env.WB_CLIENT_ID,
  clientSecret: env.WB_CLIENT_SECRET,
  projectEnvironment: "development",
});
const who = { externalUserId: env.WB_EXTERNAL_USER_ID, accountId: env.WB_ACCOUNT_ID };
const noRetry = { maxRetries: 0 };

const get = await pd.proxy.get(
  { url: env.WB_FULL_URL, headers: { "X-Custom-Header": "from-node" }, ...who },
  noRetry,
);
const post = await pd.proxy.post(
  { url: env.WB_FULL_URL, body: { name: "widget", nested: { n: 1 } }, ...who },
  noRetry,
);
let refused = null;
try {
  await pd.proxy.get({ url: "/v1/echo", headers: { Cookie: "a=b" }, ...who }, noRetry);
} catch (error) {
  refused = { statusCode: error.statusCode, body: error.body };
}
const slugs = [];
for await (const app of await pd.apps.list({ limit: 4 })) {
  slugs.push(app.nameSlug ?? app.name_slug);
}
const accounts = await pd.accounts.listByExternalUser(env.WB_EXTERNAL_USER_ID);

console.log(JSON.stringify({ get, post, refused, slugs, accounts: accounts.map((a) => a.id) }));
