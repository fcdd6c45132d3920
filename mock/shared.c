/*
 * Shared state, part one: the store and the scenarios (shared.h). Keys:
 *
 *   errata:sc        hash   id -> the definition as created
 *   errata:sc:order  list   ids in creation order
 *   errata:sc:ver    int    moves on every add, remove and clear
 *   errata:sc:next   int    numbers for ids the definitions did not give
 *   errata:sc:n:ID   int    requests the scenario has served
 *   errata:sc:end    hash   id -> the client's outcome
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/redis.h"
#include "shared_int.h"

#define KEY_MAX 200

struct shared *shared_open(const struct shared_config *cfg, char *why, size_t size)
{
	struct store_config sc = { cfg->url, cfg->password_file, cfg->timeout_ms };
	struct shared *sh = calloc(1, sizeof(*sh));

	if (!sh) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (!(sh->st = store_open(&sc, why, size))) {
		free(sh);
		return NULL;
	}
	sh->journal_size = cfg->journal_size;
	if (shared_journal_start(sh, why, size)) {
		store_close(sh->st);
		free(sh);
		return NULL;
	}
	return sh;
}

void shared_close(struct shared *sh)
{
	if (!sh)
		return;
	shared_journal_stop(sh);
	store_close(sh->st);
	free(sh);
}

const char *shared_where(const struct shared *sh)
{
	return store_where(sh->st);
}

unsigned long long shared_journal_lost(struct shared *sh)
{
	return atomic_fetch_add(&sh->lost, 1) + 1;
}

/* "errata:sc:n:ID" into buf: 0, or -1 when the id is too long. */
static int id_key(char *buf, size_t size, const char *prefix, const char *id)
{
	int n = snprintf(buf, size, "%s%s", prefix, id);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * The version only grows, even when Redis loses everything (a restart
 * without persistence): a missing version starts at Redis's clock in
 * microseconds, past any version an earlier run reached, so each replica
 * sees it move and drops the scenarios it held.
 */
#define LUA_VERSION \
	"local function version(k, bump)\n" \
	"  if not redis.call('GET', k) then\n" \
	"    local t = redis.call('TIME')\n" \
	"    redis.call('SET', k, t[1] .. string.format('%06d', tonumber(t[2])))\n" \
	"  end\n" \
	"  if bump then return redis.call('INCR', k) end\n" \
	"  return tonumber(redis.call('GET', k))\n" \
	"end\n"

static int int_command(struct shared *sh, const char *cmd, const char *key, long long *n, char *why,
		       size_t size);

static const char lua_defs[] = LUA_VERSION
	"local v = version(KEYS[3], false)\n"
	"if v == tonumber(ARGV[1]) then return {v} end\n"
	"local ids = redis.call('LRANGE', KEYS[2], 0, -1)\n"
	"local out = {v}\n"
	"for _, id in ipairs(ids) do\n"
	"  local b = redis.call('HGET', KEYS[1], id)\n"
	"  if b then out[#out + 1] = id; out[#out + 1] = b end\n"
	"end\n"
	"return out\n";

int shared_defs_decode(struct redisReply *r, long long *version, struct shared_defs *out)
{
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 || (r->elements - 1) % 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER)
		return -1;
	*version = r->element[0]->integer;
	n = (r->elements - 1) / 2;
	if (!n)
		return 0;
	out->ids = calloc(n, sizeof(*out->ids));
	out->bodies = calloc(n, sizeof(*out->bodies));
	out->lens = calloc(n, sizeof(*out->lens));
	if (!out->ids || !out->bodies || !out->lens)
		goto bad;
	for (i = 0; i < n; i++) {
		const redisReply *id = r->element[1 + 2 * i], *body = r->element[2 + 2 * i];

		if (id->type != REDIS_REPLY_STRING || body->type != REDIS_REPLY_STRING ||
		    !id->len || id->len >= 64 || memchr(id->str, '\0', id->len))
			goto bad;
		out->ids[i] = id->str;
		out->bodies[i] = body->str;
		out->lens[i] = body->len;
	}
	out->n = n;
	return 0;
bad:
	free(out->ids);
	free(out->bodies);
	free(out->lens);
	memset(out, 0, sizeof(*out));
	return -1;
}

void shared_defs_release(struct shared_defs *d)
{
	free(d->ids);
	free(d->bodies);
	free(d->lens);
	freeReplyObject(d->hold);
	memset(d, 0, sizeof(*d));
}

int shared_scenarios_changed(struct shared *sh, long long *known, struct shared_defs *out, char *why,
			     size_t size)
{
	const char *argv[4] = { "errata:sc", "errata:sc:order", "errata:sc:ver", NULL };
	size_t lens[4] = { 9, 15, 13, 0 };
	char v[32];
	long long version;
	redisReply *r;

	memset(out, 0, sizeof(*out));
	if (*known && int_command(sh, "GET", "errata:sc:ver", &version, why, size))
		return -1;
	if (*known && version == *known)
		return 0; /* the common case: one GET, no script */
	snprintf(v, sizeof(v), "%lld", *known);
	argv[3] = v;
	lens[3] = strlen(v);
	if (!(r = store_script(sh->st, lua_defs, 3, 4, argv, lens, why, size)))
		return -1;
	if (shared_defs_decode(r, &version, out)) {
		snprintf(why, size, "%s: the scenarios' reply is not what errata wrote", store_where(sh->st));
		freeReplyObject(r);
		return -1;
	}
	if (version == *known && r->elements == 1) {
		freeReplyObject(r);
		return 0;
	}
	out->hold = r;
	*known = version;
	return 1;
}

static const char lua_add[] = LUA_VERSION
	"if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end\n"
	"if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end\n"
	"redis.call('RPUSH', KEYS[2], ARGV[1])\n"
	"redis.call('DEL', KEYS[4])\n"
	"redis.call('HDEL', KEYS[5], ARGV[1])\n"
	"version(KEYS[3], true)\n"
	"return 1\n";

static long long script_int(struct shared *sh, const char *lua, int nkeys, int argc, const char **argv,
			    const size_t *lens, char *why, size_t size)
{
	redisReply *r = store_script(sh->st, lua, nkeys, argc, argv, lens, why, size);
	long long v;

	if (!r || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		return LLONG_MIN;
	}
	if (r->type != REDIS_REPLY_INTEGER) {
		snprintf(why, size, "%s: a script answered other than with a number", store_where(sh->st));
		freeReplyObject(r);
		return LLONG_MIN;
	}
	v = r->integer;
	freeReplyObject(r);
	return v;
}

int shared_scenario_add(struct shared *sh, const char *id, const char *body, size_t len, char *why,
			size_t size)
{
	char nkey[KEY_MAX], max[32];
	const char *argv[8] = { "errata:sc", "errata:sc:order", "errata:sc:ver", nkey, "errata:sc:end", id,
				body, max };
	size_t lens[8] = { 9, 15, 13, 0, 13, strlen(id), len, 0 };
	long long v;

	if (id_key(nkey, sizeof(nkey), "errata:sc:n:", id)) {
		snprintf(why, size, "the scenario id is too long");
		return -1;
	}
	snprintf(max, sizeof(max), "%d", SCENARIOS_MAX);
	lens[3] = strlen(nkey);
	lens[7] = strlen(max);
	v = script_int(sh, lua_add, 5, 8, argv, lens, why, size);
	if (v == -1)
		snprintf(why, size, "the shared registry holds %d scenarios, its limit", SCENARIOS_MAX);
	return v == LLONG_MIN || v == -1 ? -1 : (int)v;
}

int shared_scenario_id(struct shared *sh, char *id, size_t idsize, char *why, size_t size)
{
	const char *argv[2] = { "INCR", "errata:sc:next" };
	size_t lens[2] = { 4, 14 };
	redisReply *r = store_command(sh->st, 2, argv, lens, why, size);
	int ok = r && r->type == REDIS_REPLY_INTEGER;

	if (ok)
		snprintf(id, idsize, "sc-%lld", r->integer);
	else if (r && r->type != REDIS_REPLY_ERROR)
		snprintf(why, size, "%s: INCR answered other than with a number", store_where(sh->st));
	freeReplyObject(r);
	return ok ? 0 : -1;
}

static const char lua_remove[] = LUA_VERSION
	"if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end\n"
	"redis.call('LREM', KEYS[2], 0, ARGV[1])\n"
	"redis.call('DEL', KEYS[4])\n"
	"redis.call('HDEL', KEYS[5], ARGV[1])\n"
	"version(KEYS[3], true)\n"
	"return 1\n";

int shared_scenario_remove(struct shared *sh, const char *id, char *why, size_t size)
{
	char nkey[KEY_MAX];
	const char *argv[6] = { "errata:sc", "errata:sc:order", "errata:sc:ver", nkey, "errata:sc:end", id };
	size_t lens[6] = { 9, 15, 13, 0, 13, strlen(id) };
	long long v;

	if (id_key(nkey, sizeof(nkey), "errata:sc:n:", id))
		return 0;
	lens[3] = strlen(nkey);
	v = script_int(sh, lua_remove, 5, 6, argv, lens, why, size);
	return v == LLONG_MIN ? -1 : (int)v;
}

static const char lua_clear[] = LUA_VERSION
	"local ids = redis.call('LRANGE', KEYS[2], 0, -1)\n"
	"for _, id in ipairs(ids) do redis.call('DEL', 'errata:sc:n:' .. id) end\n"
	"redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])\n"
	"version(KEYS[3], true)\n"
	"return #ids\n";

long long shared_scenarios_clear(struct shared *sh, char *why, size_t size)
{
	const char *argv[4] = { "errata:sc", "errata:sc:order", "errata:sc:ver", "errata:sc:end" };
	size_t lens[4] = { 9, 15, 13, 13 };
	long long v = script_int(sh, lua_clear, 4, 0, argv, lens, why, size);

	return v == LLONG_MIN ? -1 : v;
}

static int int_command(struct shared *sh, const char *cmd, const char *key, long long *n, char *why,
		       size_t size)
{
	const char *argv[2] = { cmd, key };
	size_t lens[2] = { strlen(cmd), strlen(key) };
	redisReply *r = store_command(sh->st, 2, argv, lens, why, size);
	int ok = 0;

	if (r && r->type == REDIS_REPLY_INTEGER) {
		*n = r->integer;
		ok = 1;
	} else if (r && r->type == REDIS_REPLY_NIL) {
		*n = 0;
		ok = 1;
	} else if (r && r->type == REDIS_REPLY_STRING) {
		char *end;

		*n = strtoll(r->str, &end, 10);
		ok = end != r->str && !*end;
	}
	if (!ok && r && r->type != REDIS_REPLY_ERROR)
		snprintf(why, size, "%s: %s %s answered other than with a number", store_where(sh->st), cmd, key);
	freeReplyObject(r);
	return ok ? 0 : -1;
}

int shared_scenario_step(struct shared *sh, const char *id, long long *n, char *why, size_t size)
{
	char key[KEY_MAX];

	if (id_key(key, sizeof(key), "errata:sc:n:", id) || int_command(sh, "INCR", key, n, why, size))
		return -1;
	if (*n < 1) {
		snprintf(why, size, "%s: the step counter of %s went below 1", store_where(sh->st), id);
		return -1;
	}
	--*n;
	return 0;
}

int shared_scenario_served(struct shared *sh, const char *id, long long *n, char *why, size_t size)
{
	char key[KEY_MAX];

	if (id_key(key, sizeof(key), "errata:sc:n:", id) || int_command(sh, "GET", key, n, why, size))
		return -1;
	if (*n < 0)
		*n = 0;
	return 0;
}

int shared_outcome_set(struct shared *sh, const char *id, const char *json, char *why, size_t size)
{
	const char *argv[4] = { "HSETNX", "errata:sc:end", id, json };
	size_t lens[4] = { 6, 13, strlen(id), strlen(json) };
	redisReply *r = store_command(sh->st, 4, argv, lens, why, size);
	int v = r && r->type == REDIS_REPLY_INTEGER ? (int)(r->integer == 1) : -1;

	freeReplyObject(r);
	return v;
}

int shared_outcome_get(struct shared *sh, const char *id, char **text, char *why, size_t size)
{
	const char *argv[3] = { "HGET", "errata:sc:end", id };
	size_t lens[3] = { 4, 13, strlen(id) };
	redisReply *r = store_command(sh->st, 3, argv, lens, why, size);
	int v = -1;

	*text = NULL;
	if (r && r->type == REDIS_REPLY_NIL) {
		v = 0;
	} else if (r && r->type == REDIS_REPLY_STRING) {
		*text = strndup(r->str, r->len);
		v = *text ? 0 : -1;
	}
	freeReplyObject(r);
	return v;
}
