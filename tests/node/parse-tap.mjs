// Read a TAP stream on stdin with node-tap's own parser (a TAP 14 consumer)
// and print its verdict as JSON: ok, counts, plan, bail-out, parse errors.
import { Parser } from 'tap-parser';

const p = new Parser(results => {
  console.log(JSON.stringify({
    ok: results.ok, count: results.count, pass: results.pass, fail: results.fail,
    skip: results.skip, todo: results.todo, bailout: results.bailout,
    plan: results.plan && { start: results.plan.start, end: results.plan.end },
    failures: results.failures.map(f => ({ name: f.name, tapError: f.tapError || null })),
  }));
});
process.stdin.pipe(p);
