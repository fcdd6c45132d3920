/*
 * The mock's daemon and its request path. Every body a contract can serve is
 * rendered at start-up; a request only picks a prepared body, adds the
 * headers that differ per response, and writes one journal entry.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "select.h"
#include "../model/envelope.h"
#include "../model/ratelimit.h"
#include "../model/retry_after.h"

#define BODY_MAX (1 << 20)  /* request bodies above this get 413 */
#define MAX_HEADERS 64
#define MAX_QUERY 32
/*
 * Per-connection memory pool. libmicrohttpd's 32 KiB default costs cache at
 * hundreds of connections; 16 KiB still takes a 12 KB header line (nginx's
 * default limit is 8 KB) and served ~15% more requests per CPU-second at 512
 * connections (bench/RESULTS.md). Larger header blocks get 431.
 */
#define CONNECTION_MEMORY (16 * 1024)

/* Per-request state, hung on MHD's req_cls and freed when the request ends. */
struct request {
	uint64_t body_size, body_hash;
};

/*
 * req_cls of a request without a body: nothing to allocate. (Answering on
 * the first callback would make libmicrohttpd close the connection.)
 */
static const char no_body_marker;
#define NO_BODY ((struct request *)(uintptr_t)&no_body_marker)

int64_t mock_now_us(const struct mock *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - m->started.tv_sec) * 1000000 +
	       (now.tv_nsec - m->started.tv_nsec) / 1000;
}

int mock_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

enum MHD_Result mock_reply_json(struct MHD_Connection *conn, unsigned status,
				const char *content_type, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(body);
	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result mock_problem(struct mock *m, struct MHD_Connection *conn, unsigned status,
			     const char *slug, const char *title, const char *detail,
			     json_t *valid)
{
	char type[96];
	json_t *p;

	(void)m;
	snprintf(type, sizeof(type), "/__errata/problems/%s", slug);
	p = json_pack("{ss ss si ss}", "type", type, "title", title, "status", (int)status,
		      "detail", detail);
	if (valid)
		json_object_set_new(p, "valid", valid);
	return mock_reply_json(conn, status, "application/problem+json", p);
}

/* --- start-up: render everything the hot path will serve --- */

static int prepare(struct mount *mt, struct contract *c)
{
	size_t i;
	json_t *ok;

	mt->c = c;
	mt->id_len = strlen(c->id);
	mt->codes = calloc(c->nr_codes, sizeof(*mt->codes));
	if (!mt->codes)
		return -1;
	for (i = 0; i < c->nr_codes; i++) {
		mt->codes[i].cc = &c->codes[i];
		mt->codes[i].body = envelope_render_text(c, &c->codes[i], NULL, c->codes[i].status);
		if (!mt->codes[i].body)
			return -1;
		mt->codes[i].len = strlen(mt->codes[i].body);
	}
	ok = c->success_envelope;
	mt->success = json_dumps(ok, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!mt->success)
		return -1;
	mt->success_len = strlen(mt->success);
	snprintf(mt->retry_after, sizeof(mt->retry_after), "%d", c->retry_after_default);
	if (c->rate_limit_policy)
		ratelimit_format_policy(mt->policy, sizeof(mt->policy), c->rate_limit_policy,
					c->rate_limit_quota, c->rate_limit_window);
	return 0;
}

static void unprepare(struct mount *mt)
{
	size_t i;

	if (mt->codes)
		for (i = 0; i < mt->c->nr_codes; i++)
			free(mt->codes[i].body);
	free(mt->codes);
	free(mt->success);
}

/* --- the request path --- */

struct collect {
	const char *kv[2 * MAX_HEADERS];
	unsigned n, max;
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct collect *c = cls;

	(void)kind;
	if (c->n < c->max) {
		c->kv[2 * c->n] = key;
		c->kv[2 * c->n + 1] = value ? value : "";
		c->n++;
	}
	return MHD_YES;
}

static uint64_t connection_id(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? (uint64_t)(uintptr_t)ci->socket_context : 0;
}

static void record(struct mock *m, struct MHD_Connection *conn, const char *method,
		   const char *url, const struct mount *mt, const struct contract_code *cc,
		   int status, const struct request *rq)
{
	struct collect h = { .max = MAX_HEADERS }, q = { .max = MAX_QUERY };
	struct journal_record r;

	if (!m->journal.capacity)
		return;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &h);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &q);
	r.connection = connection_id(conn);
	r.t_us = mock_now_us(m);
	r.method = method;
	r.path = url;
	r.contract = mt ? mt->c->id : "";
	r.code = cc ? cc->code : "";
	r.idempotency_key = mt && mt->c->idempotency_header ?
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, mt->c->idempotency_header) : NULL;
	r.headers = h.kv;
	r.nr_headers = h.n;
	r.query = q.kv;
	r.nr_query = q.n;
	r.body_size = rq ? rq->body_size : 0;
	r.body_hash = rq ? rq->body_hash : JOURNAL_HASH_INIT;
	r.status = status;
	journal_append(&m->journal, &r);
}

static json_t *valid_codes(const struct contract *c)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < c->nr_codes; i++) {
		json_array_append_new(a, json_string(c->codes[i].code));
		if (c->codes[i].name)
			json_array_append_new(a, json_string(c->codes[i].name));
	}
	return a;
}

static json_t *valid_statuses(const struct contract *c)
{
	json_t *a = json_array();
	size_t i, j;

	for (i = 0; i < c->nr_codes; i++) {
		for (j = 0; j < i; j++)
			if (c->codes[j].status == c->codes[i].status)
				break;
		if (j == i)
			json_array_append_new(a, json_integer(c->codes[i].status));
	}
	return a;
}

/* A Retry-After a request asked for with X-Errata-Retry-After. */
struct retry_ask {
	int given, as_date;
	long long seconds;
};

static enum MHD_Result serve_code(struct mock *m, struct MHD_Connection *conn,
				  const struct mount *mt, const struct prepared *pc,
				  const struct retry_ask *ask)
{
	const struct contract *c = mt->c;
	const struct contract_code *cc = pc ? pc->cc : NULL;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char rid[40], ra[HTTP_DATE_SIZE], rl[96];
	long long ra_seconds = ask->given ? ask->seconds : c->retry_after_default;

	if (pc)
		r = MHD_create_response_from_buffer(pc->len, pc->body, MHD_RESPMEM_PERSISTENT);
	else
		r = MHD_create_response_from_buffer(mt->success_len, mt->success, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, c->content_type);
	if (c->request_id_header) {
		snprintf(rid, sizeof(rid), "%s%012llx", m->boot,
			 (unsigned long long)atomic_fetch_add(&m->next_request, 1));
		MHD_add_response_header(r, c->request_id_header, rid);
	}
	if (cc && cc->retry_after) {
		if (ask->given && ask->as_date)
			http_date_format(time(NULL) + ra_seconds, ra);
		else if (ask->given)
			snprintf(ra, sizeof(ra), "%lld", ra_seconds);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
					ask->given ? ra : mt->retry_after);
	}
	if (cc && cc->status == 429 && mt->policy[0]) {
		MHD_add_response_header(r, "RateLimit-Policy", mt->policy);
		/* t (seconds to reset) only where a Retry-After says when */
		ratelimit_format(rl, sizeof(rl), c->rate_limit_policy, 0, cc->retry_after ? ra_seconds : -1);
		MHD_add_response_header(r, "RateLimit", rl);
	}
	ret = MHD_queue_response(conn, cc ? (unsigned)cc->status : MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static const struct mount *find_mount(const struct mock *m, const char *url)
{
	size_t i;

	if (url[0] != '/')
		return NULL;
	for (i = 0; i < m->nr_mounts; i++) {
		const struct mount *mt = &m->mounts[i];

		if (!strncmp(url + 1, mt->c->id, mt->id_len) &&
		    (url[1 + mt->id_len] == '/' || url[1 + mt->id_len] == '\0'))
			return mt;
	}
	return NULL;
}

static enum MHD_Result handle(struct mock *m, struct MHD_Connection *conn, const char *url,
			      const char *method, const struct request *rq)
{
	const struct mount *mt;
	const struct contract_code *cc = NULL;
	struct retry_ask ask = { 0 };
	enum select_problem p;
	enum MHD_Result ret;
	const char *v;
	char why[400];

	if (!strncmp(url, "/__errata", 9) && (url[9] == '/' || url[9] == '\0'))
		return admin_handle(m, conn, method, url);
	mt = find_mount(m, url);
	if (!mt) {
		json_t *ids = json_array();
		size_t i;

		for (i = 0; i < m->nr_mounts; i++)
			json_array_append_new(ids, json_string(m->mounts[i].c->id));
		snprintf(why, sizeof(why), "'%.200s' is not under a mounted contract; requests go to /<contract-id>/...", url);
		record(m, conn, method, url, NULL, NULL, 400, rq);
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-contract",
				    "Unknown contract", why, ids);
	}
	if (rq && rq->body_size > BODY_MAX) {
		snprintf(why, sizeof(why), "the request body is over %d bytes", BODY_MAX);
		record(m, conn, method, url, mt, NULL, 413, rq);
		return mock_problem(m, conn, 413, "body-too-large",
				    "Request body too large", why, NULL);
	}
	p = select_code(mt->c,
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Error"),
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Prefer"),
			MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "__error"),
			&cc, why, sizeof(why));
	if (p != SELECT_OK) {
		record(m, conn, method, url, mt, NULL, 400, rq);
		switch (p) {
		case SELECT_UNKNOWN_CODE:
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-code",
					    "Unknown error code", why, valid_codes(mt->c));
		case SELECT_UNKNOWN_STATUS:
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "unknown-status",
					    "No code has this status", why, valid_statuses(mt->c));
		default:
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-selector",
					    "Malformed selector", why, valid_codes(mt->c));
		}
	}
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Errata-Retry-After");
	if (v) {
		if (select_retry_after(v, &ask.seconds, &ask.as_date)) {
			snprintf(why, sizeof(why), "X-Errata-Retry-After: '%.100s' is not <seconds> or date:<seconds>", v);
			record(m, conn, method, url, mt, NULL, 400, rq);
			return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-selector",
					    "Malformed selector", why, NULL);
		}
		ask.given = 1;
	}
	ret = serve_code(m, conn, mt, cc ? &mt->codes[cc->index] : NULL, &ask);
	record(m, conn, method, url, mt, cc, cc ? cc->status : 200, rq);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct mock *m = cls;
	struct request *rq = *req_cls;

	(void)version;
	if (rq == NO_BODY)
		return handle(m, conn, url, method, NULL);
	if (!rq) {
		if (!MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) &&
		    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
			*req_cls = NO_BODY;
			return MHD_YES;
		}
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		rq->body_hash = JOURNAL_HASH_INIT;
		*req_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (rq->body_size <= BODY_MAX)
			rq->body_hash = journal_hash(rq->body_hash, upload_data, *upload_data_size);
		rq->body_size += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return handle(m, conn, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls; (void)conn; (void)toe;
	if (*req_cls != NO_BODY)
		free(*req_cls);
	*req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct mock *m = cls;

	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = (void *)(uintptr_t)atomic_fetch_add(&m->next_connection, 1);
}

static void boot_prefix(char *out, size_t size)
{
	struct timespec ts;
	unsigned long long x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^
	    ((unsigned long long)getpid() << 40);
	snprintf(out, size, "%06llx-", x & 0xffffff);
}

struct mock *mock_start(const struct mock_config *cfg, char *why, size_t size)
{
	struct mock *m = calloc(1, sizeof(*m));
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	const union MHD_DaemonInfo *info;
	unsigned threads = cfg->threads;
	const char *host = !strcasecmp(cfg->host, "localhost") ? "127.0.0.1" : cfg->host;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			 MHD_USE_ITC;
	size_t i;

	if (!m) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &m->started);
	boot_prefix(m->boot, sizeof(m->boot));
	atomic_init(&m->next_request, 1);
	atomic_init(&m->next_connection, 1);
	if (journal_init(&m->journal, cfg->journal_size)) {
		snprintf(why, size, "cannot allocate a journal of %zu entries", cfg->journal_size);
		free(m);
		return NULL;
	}
	if (cfg->admin_token && !(m->admin_token = strdup(cfg->admin_token)))
		goto oom;
	m->mounts = calloc(cfg->nr_contracts ? cfg->nr_contracts : 1, sizeof(*m->mounts));
	if (!m->mounts)
		goto oom;
	for (i = 0; i < cfg->nr_contracts; i++) {
		m->nr_mounts++;
		if (prepare(&m->mounts[i], cfg->contracts[i]))
			goto oom;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)cfg->port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(why, size, "'%s' is not a numeric IPv4 or IPv6 address (or localhost)", cfg->host);
		goto fail;
	}
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned)n : 1;
	}
	m->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)16384,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
		MHD_OPTION_END);
	if (!m->daemon) {
		snprintf(why, size, "cannot listen on %s:%u (in use, or not an address of this machine)",
			 cfg->host, cfg->port);
		goto fail;
	}
	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : cfg->port;
	return m;
oom:
	snprintf(why, size, "out of memory");
fail:
	mock_stop(m, 0);
	return NULL;
}

unsigned mock_port(const struct mock *m)
{
	return m->port;
}

void mock_stop(struct mock *m, unsigned drain_ms)
{
	size_t i;

	if (!m)
		return;
	if (m->daemon) {
		MHD_socket listen_fd = MHD_quiesce_daemon(m->daemon);
		unsigned waited = 0;

		while (waited < drain_ms) {
			const union MHD_DaemonInfo *info =
				MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

			if (!info || !info->num_connections)
				break;
			usleep(10000);
			waited += 10;
		}
		MHD_stop_daemon(m->daemon);
		if (listen_fd != MHD_INVALID_SOCKET)
			close(listen_fd);
	}
	for (i = 0; i < m->nr_mounts; i++)
		unprepare(&m->mounts[i]);
	free(m->mounts);
	free(m->admin_token);
	journal_release(&m->journal);
	free(m);
}
