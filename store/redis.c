/*
 * The Redis connection pool (redis.h). A caller takes a connection, runs
 * one command and gives it back; one that saw an error is freed instead,
 * so the next caller connects afresh. Nothing blocks longer than the
 * timeout, and no lock is held while a command runs.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "redis.h"

#define POOL_MAX 64
#define SCRIPTS_MAX 16

struct script_sha {
	const char *lua;
	char sha[48];
};

struct store {
	struct store_url u;
	char where[300];
	struct timeval tv;
	pthread_mutex_t lock;
	redisContext *idle[POOL_MAX];
	int64_t idle_since[POOL_MAX];   /* monotonic us each was given back */
	unsigned nr_idle;
	struct script_sha scripts[SCRIPTS_MAX];
	unsigned nr_scripts;
};

/*
 * hiredis 0.14 allocates an array's element pointers as soon as it reads
 * the count: "*300000000" from a hostile store would be a 2.4 GB calloc
 * before one element arrives. Every reader errata makes refuses a reply
 * whose arrays hold more than STORE_MAX_ELEMENTS in all (errata asks for
 * at most 1,000 journal entries, or 2 x 4,096 scenario strings, at a
 * time); the reply then fails and the connection is dropped.
 */
static redisReplyObjectFunctions bounded;
static void *(*make_array)(const redisReadTask *, int);
static pthread_once_t bounded_once = PTHREAD_ONCE_INIT;

static void *bounded_array(const redisReadTask *t, int elements)
{
	const redisReadTask *root = t;
	redisReply *top, *r;

	while (root->parent)
		root = root->parent;
	/* the count so far is kept in the top array's integer, which hiredis
	 * leaves unused for arrays (nested arrays count against one bound) */
	top = root != t ? root->obj : NULL;
	if (elements < 0 || elements > STORE_MAX_ELEMENTS - (top ? top->integer : 0))
		return NULL;
	if (!(r = make_array(t, elements)))
		return NULL;
	(top ? top : r)->integer += elements;
	return r;
}

static void bounded_init(void)
{
	redisReader *r = redisReaderCreate();

	if (!r)
		return;
	bounded = *r->fn;
	make_array = bounded.createArray;
	bounded.createArray = bounded_array;
	redisReaderFree(r);
}

redisReader *store_reader(void)
{
	pthread_once(&bounded_once, bounded_init);
	return make_array ? redisReaderCreateWithFunctions(&bounded) : NULL;
}

static int parse_port(const char *p, size_t n, int *out)
{
	long v = 0;
	size_t i;

	if (!n || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = (int)v;
	return v >= 1 && v <= 65535 ? 0 : -1;
}

/* "[:PASSWORD@]HOST[:PORT]" (PASSWORD may be "user:password": the user is dropped). */
static int parse_authority(const char *a, size_t n, struct store_url *u, char *why, size_t size)
{
	const char *at = memrchr(a, '@', n), *h = at ? at + 1 : a, *end = a + n, *colon;
	size_t hl;

	if (at) {
		const char *pw = memchr(a, ':', (size_t)(at - a));
		size_t pl = pw ? (size_t)(at - pw - 1) : (size_t)(at - a);

		pw = pw ? pw + 1 : a;
		if (pl >= sizeof(u->password)) {
			snprintf(why, size, "the store URL's password is over %zu bytes", sizeof(u->password) - 1);
			return -1;
		}
		memcpy(u->password, pw, pl);
		u->password[pl] = '\0';
	}
	colon = h < end && *h == '[' ? memchr(h, ']', (size_t)(end - h)) : h;
	colon = colon ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
	hl = colon ? (size_t)(colon - h) : (size_t)(end - h);
	if (hl && *h == '[' && h[hl - 1] == ']')
		h++, hl -= 2;
	if (!hl || hl >= sizeof(u->host)) {
		snprintf(why, size, "the store URL names no host");
		return -1;
	}
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	u->port = 6379;
	if (colon && parse_port(colon + 1, (size_t)(end - colon - 1), &u->port)) {
		snprintf(why, size, "the store URL's port is not a number from 1 to 65535");
		return -1;
	}
	return 0;
}

int store_parse_url(const char *url, struct store_url *u, char *why, size_t size)
{
	const char *a, *slash;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (!strncmp(url, "redis://", 8)) {
		a = url + 8;
	} else if (!strncmp(url, "rediss://", 9)) {
		a = url + 9;
		u->tls = 1;
	} else {
		snprintf(why, size, "a store is redis://HOST:PORT[/DB] or rediss://...; '%.40s' is neither",
			 strchr(url, '@') ? "(a URL with a password)" : url);
		return -1;
	}
	slash = strchr(a, '/');
	n = slash ? (size_t)(slash - a) : strlen(a);
	if (parse_authority(a, n, u, why, size))
		return -1;
	if (slash && slash[1]) {
		char *end;
		long db;

		errno = 0;
		db = strtol(slash + 1, &end, 10);
		if (errno || *end || db < 0 || db > 1000000 || end == slash + 1) {
			snprintf(why, size, "the store URL's database ('/%.20s') is not a number", slash + 1);
			return -1;
		}
		u->db = (int)db;
	}
	return 0;
}

static int read_password(const char *file, struct store_url *u, char *why, size_t size)
{
	FILE *f = fopen(file, "r");
	size_t n;

	if (!f) {
		snprintf(why, size, "--state-password-file %s: %s", file, strerror(errno));
		return -1;
	}
	if (!fgets(u->password, sizeof(u->password), f))
		u->password[0] = '\0';
	fclose(f);
	n = strcspn(u->password, "\r\n");
	u->password[n] = '\0';
	if (!n) {
		snprintf(why, size, "--state-password-file %s holds no password on its first line", file);
		return -1;
	}
	return 0;
}

const char *store_words(const char *pw, const char *t, char out[STORE_WORDS])
{
	size_t pl = strlen(pw), n = 0;

	while (*t) {
		if (pl && !strncmp(t, pw, pl)) { /* a hostile store could echo it */
			if (n + 10 >= STORE_WORDS)
				break;
			memcpy(out + n, "[password]", 10);
			n += 10, t += pl;
			continue;
		}
		if (n + 1 >= STORE_WORDS)
			break;
		out[n++] = (unsigned char)*t < 0x20 || *t == 0x7f ? '?' : *t;
		t++;
	}
	if (((unsigned char)*t & 0xC0) == 0x80) { /* cut inside a character: drop its start too */
		while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
			n--;
		if (n && (unsigned char)out[n - 1] >= 0xC0)
			n--;
	}
	out[n] = '\0';
	return out;
}

/* Run one command on a connection outside the pool (setting it up). */
static int setup_command(const struct store *s, redisContext *c, const char *what, char *why, size_t size,
			 const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(c, fmt, arg);
	int ok = r && r->type != REDIS_REPLY_ERROR;
	char words[STORE_WORDS];

	if (!ok)
		snprintf(why, size, "%s: %s", what,
			 store_words(s->u.password, r && r->str ? r->str : c->errstr[0] ? c->errstr : "no answer",
				    words));
	freeReplyObject(r);
	return ok ? 0 : -1;
}

static redisContext *connect_one(struct store *s, char *why, size_t size)
{
	redisContext *c = redisConnectWithTimeout(s->u.host, s->u.port, s->tv);
	char db[16];

	if (!c || c->err) {
		snprintf(why, size, "%s is unreachable: %s", s->where,
			 c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	pthread_once(&bounded_once, bounded_init);
	if (!make_array) {
		snprintf(why, size, "out of memory");
		redisFree(c);
		return NULL;
	}
	c->reader->fn = &bounded;
	if (redisSetTimeout(c, s->tv) != REDIS_OK ||
	    (s->u.password[0] && setup_command(s, c, "the store refused the password", why, size, "AUTH %s",
					       s->u.password)) ||
	    (s->u.db && (snprintf(db, sizeof(db), "%d", s->u.db),
			 setup_command(s, c, "the store refused the database", why, size, "SELECT %s", db)))) {
		if (!why[0])
			snprintf(why, size, "%s: cannot set the timeout", s->where);
		redisFree(c);
		return NULL;
	}
	return c;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A connection idle for a while with something to read has been closed by
 * the store (a restart) or holds what nobody asked for: neither is used
 * again. (One in use under load is not polled: a failure drops it.) */
static int stale(redisContext *c, int64_t since)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	return now_us() - since > 200000 && poll(&p, 1, 0) != 0;
}

static redisContext *take(struct store *s, char *why, size_t size)
{
	redisContext *c = NULL;
	int64_t since = 0;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		if ((c = s->nr_idle ? s->idle[--s->nr_idle] : NULL))
			since = s->idle_since[s->nr_idle];
		pthread_mutex_unlock(&s->lock);
		if (!c || !stale(c, since))
			break;
		redisFree(c);
	}
	why[0] = '\0';
	return c ? c : connect_one(s, why, size);
}

static void give_back(struct store *s, redisContext *c)
{
	if (c->err) {
		redisFree(c);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (s->nr_idle < POOL_MAX) {
		s->idle_since[s->nr_idle] = now_us();
		s->idle[s->nr_idle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	redisFree(c);
}

redisReply *store_command(struct store *s, int argc, const char **argv, const size_t *lens,
			  char *why, size_t size)
{
	redisContext *c = take(s, why, size);
	redisReply *r;

	if (!c)
		return NULL;
	r = redisCommandArgv(c, argc, argv, lens);
	if (!r) {
		snprintf(why, size, "%s: %s", s->where,
			 c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK) ?
			 "no answer within the timeout" : c->errstr[0] ? c->errstr : "connection lost");
		c->err = c->err ? c->err : REDIS_ERR_IO;
	} else if (r->type == REDIS_REPLY_ERROR) {
		char words[STORE_WORDS];

		snprintf(why, size, "%s answered: %s", s->where, store_words(s->u.password, r->str ? r->str : "an error",
									    words));
	}
	give_back(s, c);
	return r;
}

static const char *script_sha(struct store *s, const char *lua, char *why, size_t size)
{
	const char *argv[3] = { "SCRIPT", "LOAD", lua };
	size_t lens[3] = { 6, 4, strlen(lua) };
	redisReply *r;
	unsigned i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nr_scripts; i++)
		if (s->scripts[i].lua == lua && s->scripts[i].sha[0]) {
			pthread_mutex_unlock(&s->lock);
			return s->scripts[i].sha;
		}
	pthread_mutex_unlock(&s->lock);
	r = store_command(s, 3, argv, lens, why, size);
	if (!r || r->type != REDIS_REPLY_STRING || r->len != 40) {
		if (r && r->type != REDIS_REPLY_ERROR)
			snprintf(why, size, "%s: SCRIPT LOAD gave no SHA1", s->where);
		freeReplyObject(r);
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nr_scripts && s->scripts[i].lua != lua; i++)
		;
	if (i == SCRIPTS_MAX)
		i = 0; /* more scripts than slots: a programming error, but still correct */
	else if (i == s->nr_scripts)
		s->nr_scripts++;
	s->scripts[i].lua = lua;
	memcpy(s->scripts[i].sha, r->str, 40);
	s->scripts[i].sha[40] = '\0';
	pthread_mutex_unlock(&s->lock);
	freeReplyObject(r);
	return s->scripts[i].sha;
}

static void forget_script(struct store *s, const char *lua)
{
	unsigned i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nr_scripts; i++)
		if (s->scripts[i].lua == lua)
			s->scripts[i].sha[0] = '\0';
	pthread_mutex_unlock(&s->lock);
}

#define SCRIPT_ARGS 24

/* store_script() with room for the arguments: av and lv hold argc + 3. */
static redisReply *run_script(struct store *s, const char *lua, int nkeys, int argc, const char **argv,
			      const size_t *lens, const char **av, size_t *lv, char *why, size_t size)
{
	char nk[16];
	redisReply *r = NULL;
	int attempt;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	for (attempt = 0; attempt < 2; attempt++) {
		const char *sha = script_sha(s, lua, why, size);

		if (!sha)
			return NULL;
		av[0] = "EVALSHA", lv[0] = 7;
		av[1] = sha, lv[1] = 40;
		av[2] = nk, lv[2] = strlen(nk);
		memcpy(av + 3, argv, (size_t)argc * sizeof(*argv));
		memcpy(lv + 3, lens, (size_t)argc * sizeof(*lens));
		r = store_command(s, argc + 3, av, lv, why, size);
		if (!r || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOSCRIPT", 8))
			return r;
		freeReplyObject(r); /* Redis restarted and lost it: load it again */
		r = NULL;
		forget_script(s, lua);
	}
	return r;
}

redisReply *store_script(struct store *s, const char *lua, int nkeys, int argc, const char **argv,
			 const size_t *lens, char *why, size_t size)
{
	const char *small_av[SCRIPT_ARGS + 3], **av = small_av;
	size_t small_lv[SCRIPT_ARGS + 3], *lv = small_lv;
	redisReply *r;

	if (argc > SCRIPT_ARGS) {
		av = malloc((size_t)(argc + 3) * sizeof(*av));
		lv = malloc((size_t)(argc + 3) * sizeof(*lv));
		if (!av || !lv) {
			free(av);
			free(lv);
			snprintf(why, size, "out of memory");
			return NULL;
		}
	}
	r = run_script(s, lua, nkeys, argc, argv, lens, av, lv, why, size);
	if (av != small_av) {
		free(av);
		free(lv);
	}
	return r;
}

/* Whatever listens at the address must answer PING as Redis does. */
static int ping(struct store *s, redisContext *c, char *why, size_t size)
{
	redisReply *r = redisCommand(c, "PING");
	int ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
	char words[STORE_WORDS];

	if (!r && c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
		snprintf(why, size, "%s accepted the connection and did not answer PING within the timeout", s->where);
	else if (r && r->type == REDIS_REPLY_ERROR)
		snprintf(why, size, "%s answered PING with an error: %s", s->where,
			 store_words(s->u.password, r->str, words));
	else if (!ok)
		snprintf(why, size, "%s is not a Redis: to PING it answered %s", s->where,
			 r ? "something other than PONG" : store_words("", c->errstr[0] ? c->errstr : "nothing", words));
	freeReplyObject(r);
	return ok ? 0 : -1;
}

struct store *store_open(const struct store_config *cfg, char *why, size_t size)
{
	struct store *s = calloc(1, sizeof(*s));
	unsigned ms = cfg->timeout_ms ? cfg->timeout_ms : 500;
	redisContext *c;

	if (!s) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (store_parse_url(cfg->url, &s->u, why, size) ||
	    (cfg->password_file && read_password(cfg->password_file, &s->u, why, size)))
		goto fail;
	if (s->u.tls) {
		snprintf(why, size, "rediss:// (TLS) needs hiredis 1.0 with hiredis_ssl; this build has hiredis %d.%d "
			 "without it: reach the store over a TLS tunnel (stunnel, spiped) as redis://", HIREDIS_MAJOR,
			 HIREDIS_MINOR);
		goto fail;
	}
	snprintf(s->where, sizeof(s->where), "redis://%s:%d/%d", s->u.host, s->u.port, s->u.db);
	s->tv.tv_sec = ms / 1000;
	s->tv.tv_usec = (ms % 1000) * 1000;
	pthread_mutex_init(&s->lock, NULL);
	if (!(c = connect_one(s, why, size)) || ping(s, c, why, size)) {
		redisFree(c);
		pthread_mutex_destroy(&s->lock);
		goto fail;
	}
	give_back(s, c);
	return s;
fail:
	memset(s->u.password, 0, sizeof(s->u.password));
	free(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	while (s->nr_idle)
		redisFree(s->idle[--s->nr_idle]);
	pthread_mutex_destroy(&s->lock);
	memset(s->u.password, 0, sizeof(s->u.password));
	free(s);
}

const char *store_where(const struct store *s)
{
	return s->where;
}
