#ifndef ERRATA_SHARED_H
#define ERRATA_SHARED_H
/*
 * With --state redis://...: the state that replicas of errata serve and
 * errata proxy must agree on, kept in one Redis (store/redis.h) instead of
 * the process. Each operation is one command or one Lua script, so it is
 * atomic in Redis whatever the replicas do at the same time:
 *
 *   scenarios     the definitions as created (a hash and a list, for their
 *                 order) and a version; each replica parses them again when
 *                 the version moves, and takes steps with one INCR each
 *   idempotency   a key claimed with set-if-absent and its TTL; the stored
 *                 response replayed by any replica
 *   rate limits   one token bucket per key, refilled by Redis's own clock
 *   journal       one stream, capped, its seq from one INCR in the same
 *                 script: a poller that asks from next_seq misses nothing
 *
 * Nothing falls back to the process's state: when the store fails, the
 * caller answers 503 naming it (why says what happened).
 */
#include <stddef.h>
#include <stdint.h>

#include "idem.h"
#include "journal.h"
#include "scenario.h"

struct store;
struct shared;

struct shared_config {
	const char *url, *password_file;
	unsigned timeout_ms;
	size_t journal_size;
};

struct shared *shared_open(const struct shared_config *cfg, char *why, size_t size);
void shared_close(struct shared *sh);
const char *shared_where(const struct shared *sh);

/* --- scenarios --- */

/* The definitions in creation order: ids[i] and bodies[i] (lens[i] bytes)
 * point into the reply held by `hold`; 1 with them when the version moved
 * past *known (then *known is the new one), 0 when it did not, -1 with why. */
struct shared_defs {
	size_t n;
	const char **ids, **bodies;
	size_t *lens;
	void *hold;
};
int shared_scenarios_changed(struct shared *sh, long long *known, struct shared_defs *out, char *why,
			     size_t size);
void shared_defs_release(struct shared_defs *d);
/* Decode a reply of the definitions script (the fuzz target feeds it). */
struct redisReply;
int shared_defs_decode(struct redisReply *r, long long *version, struct shared_defs *out);

/* Add a definition under its id (an id is given first with
 * shared_scenario_id when it had none): 1 added, 0 the id is taken,
 * -1 with why (the store, or the registry's bound). */
int shared_scenario_add(struct shared *sh, const char *id, const char *body, size_t len, char *why,
			size_t size);
int shared_scenario_id(struct shared *sh, char *id, size_t idsize, char *why, size_t size);
/* 1 removed, 0 unknown, -1 with why; clear: how many, or -1. */
int shared_scenario_remove(struct shared *sh, const char *id, char *why, size_t size);
long long shared_scenarios_clear(struct shared *sh, char *why, size_t size);
/* The next request's number in the scenario (0-based) into *n: 0, or -1. */
int shared_scenario_step(struct shared *sh, const char *id, long long *n, char *why, size_t size);
/* How many requests the scenario has served: 0, or -1. */
int shared_scenario_served(struct shared *sh, const char *id, long long *n, char *why, size_t size);
/* The client's outcome: set once (1 set, 0 one was there, -1); get into
 * *text (malloc'd, NULL when none): 0, or -1. */
int shared_outcome_set(struct shared *sh, const char *id, const char *json, char *why, size_t size);
int shared_outcome_get(struct shared *sh, const char *id, char **text, char *why, size_t size);

/* --- idempotency --- */

/* idem_begin() in the store: -1 with why when it failed; otherwise the
 * state, and a replay's response in *out. */
int shared_idem_begin(struct shared *sh, const char *key, uint64_t fp, long long ttl_ms,
		      struct idem_reply *out, enum idem_state *state, char *why, size_t size);
int shared_idem_finish(struct shared *sh, const char *key, uint64_t fp, long long ttl_ms,
		       const struct idem_reply *r, char *why, size_t size);
void shared_idem_abort(struct shared *sh, const char *key, uint64_t fp);
/* The value a key holds, decoded (the fuzz target feeds it): 0, or -1. */
int shared_idem_decode(const char *v, size_t len, uint64_t fp, struct idem_reply *out,
		       enum idem_state *state);

/* --- rate limits --- */

/* limiter_take() in the store: 1 allowed, 0 refused, -1 with why. */
int shared_rate_take(struct shared *sh, const char *key, int quota, int window, int *remaining,
		     long long *reset_s, char *why, size_t size);
int shared_rate_decode(struct redisReply *r, int *remaining, long long *reset_s);

/* --- journal --- */

/* Queue an entry for the writer thread (append), or write it now, before
 * the response goes (write): 0, or -1 with why. */
int shared_journal_append(struct shared *sh, const struct journal_entry *e, char *why, size_t size);
int shared_journal_write(struct shared *sh, const struct journal_entry *e, char *why, size_t size);
/* journal_view() over the shared journal: 0, or -1 with why. */
int shared_journal_view(struct shared *sh, uint64_t since, size_t limit, const char *scenario,
			struct journal_view *v, char *why, size_t size);
/* One batch of the read script's reply into v (the fuzz target feeds it;
 * *alloc is v->e's room): the entries it added, or -1 when the reply is
 * not one. *last is the
 * journal's last seq, *scanned the batch's entries, *after the seq after
 * the batch's last. */
int shared_journal_decode(struct redisReply *r, const char *scenario, size_t limit,
			  struct journal_view *v, size_t *alloc, uint64_t *last, size_t *scanned, uint64_t *after);
long long shared_journal_clear(struct shared *sh, char *why, size_t size);
/* Forget every idempotency key and rate-limit bucket: how many keys, or -1. */
long long shared_forget_keys(struct shared *sh, char *why, size_t size);

/* Count an entry the journal lost (the store failed): the total so far. */
unsigned long long shared_journal_lost(struct shared *sh);

#endif
