// @octokit/core with @octokit/plugin-retry (pinned in tests/node), as
// shipped: 3 retries of any status but 400, 401, 403, 404, 410, 422 and 451.
import { ERRATA_BASE_URL, ERRATA_METHOD, ERRATA_PATH, body, fail, done } from './sdk_common.mjs';

const dir = process.env.ERRATA_SDK_DIR || new URL('../../tests/node/', import.meta.url).pathname;
const { Octokit } = await import(dir + 'node_modules/@octokit/core/dist-src/index.js');
const { retry } = await import(dir + 'node_modules/@octokit/plugin-retry/dist-bundle/index.js');
const octokit = new (Octokit.plugin(retry))({ baseUrl: ERRATA_BASE_URL, auth: process.env.GITHUB_TOKEN || 'ghp_errata' });
octokit.request(`${ERRATA_METHOD || 'POST'} ${ERRATA_PATH}`, body ?? {}).then(r => done(r.data), fail);
