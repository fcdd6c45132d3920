// What the SDK wrappers share: the SDKs come from tests/node (pinned in its
// package-lock.json, or $ERRATA_SDK_DIR), the request from errata client's
// environment, and a failure is printed with everything the SDK said of it.
import { createRequire } from 'node:module';

const dir = process.env.ERRATA_SDK_DIR || new URL('../../tests/node/', import.meta.url).pathname;
export const require = createRequire(dir + 'package.json');
export const { ERRATA_BASE_URL, ERRATA_METHOD, ERRATA_PATH, ERRATA_BODY, ERRATA_STREAM } = process.env;
export const body = ERRATA_BODY ? JSON.parse(ERRATA_BODY) : undefined;

// Print what the caller of the SDK sees of an error, then exit 1.
export function fail(err) {
  const seen = {
    name: err?.constructor?.name,
    status: err?.status ?? err?.statusCode,
    type: err?.type ?? err?.error?.type,
    code: err?.code ?? err?.error?.code,
    // stripe names its error classes in type and keeps the API's in rawType
    raw_type: err?.rawType ?? err?.raw?.type,
    message: err?.message,
  };
  console.error('error: ' + JSON.stringify(seen));
  process.exit(1);
}

export function done(result) {
  console.log(JSON.stringify(result ?? null));
  process.exit(0);
}

// Read a stream to its end, as a caller iterating it does: the events it
// yielded, or the SDK's error thrown from inside the loop.
export async function drain(stream) {
  let events = 0;
  for await (const _ of stream) events++;
  return { events };
}
