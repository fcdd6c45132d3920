// @octokit/graphql through @octokit/core with @octokit/plugin-throttling
// (pinned in tests/node), as its README sets it up: on a primary rate limit
// retry twice, after the wait it computes (x-ratelimit-reset, plus 1 s).
import { ERRATA_BASE_URL, fail, done } from './sdk_common.mjs';

const dir = process.env.ERRATA_SDK_DIR || new URL('../../tests/node/', import.meta.url).pathname;
const { Octokit } = await import(dir + 'node_modules/@octokit/core/dist-src/index.js');
const { throttling } = await import(dir + 'node_modules/@octokit/plugin-throttling/dist-bundle/index.js');
const octokit = new (Octokit.plugin(throttling))({
  baseUrl: ERRATA_BASE_URL,
  auth: process.env.GITHUB_TOKEN || 'ghp_errata',
  throttle: {
    onRateLimit: (retryAfter, options, o, retryCount) => retryCount < 2,
    onSecondaryRateLimit: (retryAfter, options, o, retryCount) => retryCount < 2,
  },
});
octokit.graphql('query { viewer { login } }').then(done, (err) => {
  // a GraphQL error: what the caller sees is each error's type and message
  if (err?.errors) console.error('graphql errors: ' + JSON.stringify(err.errors));
  fail(err);
});
