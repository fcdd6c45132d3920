/*
 * Shared state, part two: idempotency keys, rate limits and the journal
 * (shared.h). Keys:
 *
 *   errata:idem:KEY      "F<fp>" while its first request is served, then
 *                        "D<fp>" and the response as netstrings; the key's TTL
 *   errata:rl:KEY        hash {tokens, us}: a token bucket
 *   errata:journal       stream, capped; entry ids 0-SEQ, field "e"
 *   errata:journal:seq   int: the last seq given
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/redis.h"
#include "shared_int.h"

#define KEY_MAX 2200

/* --- idempotency --- */

static const char lua_idem_begin[] =
	"local v = redis.call('GET', KEYS[1])\n"
	"if v then return v end\n"
	"redis.call('SET', KEYS[1], 'F' .. ARGV[1], 'PX', ARGV[2])\n"
	"return 'N'\n";

static const char lua_idem_abort[] =
	"if redis.call('GET', KEYS[1]) == 'F' .. ARGV[1] then redis.call('DEL', KEYS[1]) end\n"
	"return 0\n";

/* Append "<len>:<bytes>," to buf (NULL: only count). */
static size_t netstring(char *buf, const char *s, size_t len)
{
	char head[24];
	int hl = snprintf(head, sizeof(head), "%zu:", len);

	if (buf) {
		memcpy(buf, head, (size_t)hl);
		memcpy(buf + hl, s, len);
		buf[hl + len] = ',';
	}
	return (size_t)hl + len + 1;
}

/* The next netstring of [*p, end) into s and len: 0, or -1. */
static int next_netstring(const char **p, const char *end, const char **s, size_t *len)
{
	const char *q = *p;
	size_t n = 0, digits = 0;

	while (q < end && *q >= '0' && *q <= '9' && digits < 10)
		n = n * 10 + (size_t)(*q++ - '0'), digits++;
	if (!digits || q >= end || *q != ':' || (size_t)(end - q - 1) < n + 1 || q[1 + n] != ',')
		return -1;
	*s = q + 1;
	*len = n;
	*p = q + 2 + n;
	return 0;
}

/* The netstrings of a response, counted (buf NULL) or written: their bytes. */
static size_t put_reply(char *buf, const struct idem_reply *r)
{
	char num[2][24];
	size_t n = 0, i;

	snprintf(num[0], sizeof(num[0]), "%d", r->status);
	snprintf(num[1], sizeof(num[1]), "%u", r->nr_headers);
	n += netstring(buf ? buf + n : NULL, num[0], strlen(num[0]));
	n += netstring(buf ? buf + n : NULL, num[1], strlen(num[1]));
	for (i = 0; i < r->nr_headers; i++) {
		n += netstring(buf ? buf + n : NULL, r->names[i], strlen(r->names[i]));
		n += netstring(buf ? buf + n : NULL, r->values[i], strlen(r->values[i]));
	}
	return n + netstring(buf ? buf + n : NULL, r->body ? r->body : "", r->body ? r->body_len : 0);
}

static char *idem_encode(uint64_t fp, const struct idem_reply *r, size_t *len)
{
	size_t n = put_reply(NULL, r);
	char *out = malloc(17 + n + 1);

	if (!out)
		return NULL;
	snprintf(out, 18, "D%016" PRIx64, fp);
	put_reply(out + 17, r);
	*len = 17 + n;
	return out;
}

static int small_int(const char *s, size_t len, long lo, long hi, long *out)
{
	long v = 0;
	size_t i;

	if (!len || len > 6)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v < lo || v > hi ? -1 : 0;
}

static int decode_reply(const char *p, const char *end, struct idem_reply *out)
{
	const char *s;
	size_t len;
	long status, nr, i;

	if (next_netstring(&p, end, &s, &len) || small_int(s, len, 100, 999, &status) ||
	    next_netstring(&p, end, &s, &len) || small_int(s, len, 0, IDEM_MAX_HEADERS, &nr))
		return -1;
	out->status = (int)status;
	for (i = 0; i < nr; i++) {
		const char *v;
		size_t vlen;

		if (next_netstring(&p, end, &s, &len) || next_netstring(&p, end, &v, &vlen) ||
		    memchr(s, '\0', len) || memchr(v, '\0', vlen) ||
		    !(out->names[i] = strndup(s, len)) || !(out->values[i] = strndup(v, vlen))) {
			if (i < nr && out->names[i]) /* the name made, not its value */
				free(out->names[i]), out->names[i] = NULL;
			return -1;
		}
		out->nr_headers = (unsigned)i + 1;
	}
	if (next_netstring(&p, end, &s, &len) || p != end || !(out->body = malloc(len + 1)))
		return -1;
	memcpy(out->body, s, len);
	out->body[len] = '\0';
	out->body_len = len;
	return 0;
}

int shared_idem_decode(const char *v, size_t len, uint64_t fp, struct idem_reply *out,
		       enum idem_state *state)
{
	char want[20];

	memset(out, 0, sizeof(*out));
	if (len < 17 || (v[0] != 'F' && v[0] != 'D'))
		return -1;
	snprintf(want, sizeof(want), "%016" PRIx64, fp);
	if (memcmp(v + 1, want, 16)) {
		*state = IDEM_CONFLICT;
		return 0;
	}
	if (v[0] == 'F') {
		*state = IDEM_IN_FLIGHT;
		return len == 17 ? 0 : -1;
	}
	if (decode_reply(v + 17, v + len, out)) {
		idem_reply_release(out);
		return -1;
	}
	*state = IDEM_REPLAY;
	return 0;
}

static int idem_key(char *buf, size_t size, const char *key)
{
	int n = snprintf(buf, size, "errata:idem:%s", key);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int shared_idem_begin(struct shared *sh, const char *key, uint64_t fp, long long ttl_ms,
		      struct idem_reply *out, enum idem_state *state, char *why, size_t size)
{
	char k[KEY_MAX], f[20], ttl[24];
	const char *argv[3] = { k, f, ttl };
	size_t lens[3];
	redisReply *r;
	int kl = idem_key(k, sizeof(k), key), v = -1;

	memset(out, 0, sizeof(*out));
	if (kl < 0) {
		snprintf(why, size, "the Idempotency-Key is too long for the store");
		return -1;
	}
	snprintf(f, sizeof(f), "%016" PRIx64, fp);
	snprintf(ttl, sizeof(ttl), "%lld", ttl_ms > 0 ? ttl_ms : 1);
	lens[0] = (size_t)kl, lens[1] = 16, lens[2] = strlen(ttl);
	if (!(r = store_script(sh->st, lua_idem_begin, 1, 3, argv, lens, why, size)))
		return -1;
	if (r->type == REDIS_REPLY_STRING && r->len == 1 && r->str[0] == 'N') {
		*state = IDEM_NEW;
		v = 0;
	} else if (r->type == REDIS_REPLY_STRING && !shared_idem_decode(r->str, r->len, fp, out, state)) {
		v = 0;
	} else if (r->type != REDIS_REPLY_ERROR) {
		snprintf(why, size, "%s holds a value for this Idempotency-Key that errata did not write",
			 store_where(sh->st));
	}
	freeReplyObject(r);
	return v;
}

int shared_idem_finish(struct shared *sh, const char *key, uint64_t fp, long long ttl_ms,
		       const struct idem_reply *rp, char *why, size_t size)
{
	char k[KEY_MAX], ttl[24], *val;
	const char *argv[5] = { "SET", k, NULL, "PX", ttl };
	size_t lens[5] = { 3, 0, 0, 2, 0 }, vlen;
	redisReply *r;
	int kl = idem_key(k, sizeof(k), key);

	if (kl < 0 || !(val = idem_encode(fp, rp, &vlen))) {
		snprintf(why, size, kl < 0 ? "the key is too long" : "out of memory");
		return -1;
	}
	snprintf(ttl, sizeof(ttl), "%lld", ttl_ms > 0 ? ttl_ms : 1);
	argv[2] = val;
	lens[1] = (size_t)kl, lens[2] = vlen, lens[4] = strlen(ttl);
	r = store_command(sh->st, 5, argv, lens, why, size);
	free(val);
	kl = r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
	freeReplyObject(r);
	return kl;
}

void shared_idem_abort(struct shared *sh, const char *key, uint64_t fp)
{
	char k[KEY_MAX], f[20], why[200];
	const char *argv[2] = { k, f };
	size_t lens[2];
	int kl = idem_key(k, sizeof(k), key);

	if (kl < 0)
		return;
	snprintf(f, sizeof(f), "%016" PRIx64, fp);
	lens[0] = (size_t)kl, lens[1] = 16;
	freeReplyObject(store_script(sh->st, lua_idem_abort, 1, 2, argv, lens, why, sizeof(why)));
}

/* --- rate limits: a token bucket per key, on Redis's clock --- */

static const char lua_rate[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
	"local quota, window = tonumber(ARGV[1]), tonumber(ARGV[2]) * 1000000\n"
	"local b = redis.call('HMGET', KEYS[1], 'tokens', 'us')\n"
	"local tokens, last = tonumber(b[1]) or quota, tonumber(b[2]) or now\n"
	"if now > last then tokens = math.min(quota, tokens + (now - last) * quota / window) end\n"
	"local allowed = 0\n"
	"if tokens >= 1 then tokens = tokens - 1; allowed = 1 end\n"
	"redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'us', tostring(math.max(now, last)))\n"
	"redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) * 2)\n"
	"local want = allowed == 1 and quota or 1\n"
	"local reset = math.ceil((want - tokens) * window / quota / 1000000)\n"
	"if allowed == 0 and reset < 1 then reset = 1 end\n"
	"return {allowed, math.floor(tokens), reset}\n";

int shared_rate_decode(struct redisReply *r, int *remaining, long long *reset_s)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER ||
	    r->element[2]->type != REDIS_REPLY_INTEGER || r->element[0]->integer < 0 ||
	    r->element[0]->integer > 1 || r->element[1]->integer < 0 || r->element[1]->integer > INT_MAX ||
	    r->element[2]->integer < 0)
		return -1;
	*remaining = (int)r->element[1]->integer;
	*reset_s = r->element[2]->integer;
	return (int)r->element[0]->integer;
}

int shared_rate_take(struct shared *sh, const char *key, int quota, int window, int *remaining,
		     long long *reset_s, char *why, size_t size)
{
	char k[KEY_MAX], q[16], w[16];
	const char *argv[3] = { k, q, w };
	size_t lens[3];
	int kl = snprintf(k, sizeof(k), "errata:rl:%s", key), v;
	redisReply *r;

	if (kl < 0 || (size_t)kl >= sizeof(k)) {
		snprintf(why, size, "the rate-limit key is too long");
		return -1;
	}
	snprintf(q, sizeof(q), "%d", quota);
	snprintf(w, sizeof(w), "%d", window);
	lens[0] = (size_t)kl, lens[1] = strlen(q), lens[2] = strlen(w);
	if (!(r = store_script(sh->st, lua_rate, 1, 3, argv, lens, why, size)))
		return -1;
	if ((v = shared_rate_decode(r, remaining, reset_s)) < 0 && r->type != REDIS_REPLY_ERROR)
		snprintf(why, size, "%s: the rate limit's reply is not what errata wrote", store_where(sh->st));
	freeReplyObject(r);
	return v;
}

long long shared_forget_keys(struct shared *sh, char *why, size_t size)
{
	static const char lua[] =
		"local n, cursor = 0, '0'\n"
		"repeat\n"
		"  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)\n"
		"  cursor = r[1]\n"
		"  for _, k in ipairs(r[2]) do redis.call('DEL', k); n = n + 1 end\n"
		"until cursor == '0'\n"
		"return n\n";
	const char *argv[1];
	size_t lens[1];
	long long n = 0, i;
	redisReply *r;

	for (i = 0; i < 2; i++) {
		argv[0] = i ? "errata:rl:*" : "errata:idem:*";
		lens[0] = strlen(argv[0]);
		if (!(r = store_script(sh->st, lua, 0, 1, argv, lens, why, size)))
			return -1;
		n += r->type == REDIS_REPLY_INTEGER && !i ? r->integer : 0;
		freeReplyObject(r);
	}
	return n;
}
