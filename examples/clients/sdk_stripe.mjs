// The stripe SDK (pinned in tests/node) with maxNetworkRetries: 2 (its
// documented way to turn retries on): it takes only a host and a port, so
// the contract's prefix goes into the path of a raw request.
import { require, ERRATA_BASE_URL, ERRATA_METHOD, ERRATA_PATH, body, fail, done } from './sdk_common.mjs';

const Stripe = require('stripe');
const url = new URL(ERRATA_BASE_URL);
const stripe = Stripe(process.env.STRIPE_API_KEY || 'sk_test_errata', {
  host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(':', ''),
  maxNetworkRetries: 2,
});
stripe.rawRequest(ERRATA_METHOD || 'POST', url.pathname.replace(/\/$/, '') + ERRATA_PATH, body ?? {}).then(done, fail);
