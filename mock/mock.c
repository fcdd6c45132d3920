/*
 * The mock's daemon and its request path. Every body a contract can serve is
 * rendered at start-up; a request only picks a prepared body, adds the
 * headers that differ per response, and writes one journal entry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "shared.h"
#include "select.h"
#include "../model/envelope.h"
#include "../model/ratelimit.h"
#include "../model/retry_after.h"
#include "../model/utf8.h"

/* A body over BODY_MAX is read and dropped up to this, so a client that
 * sends it all gets its 413 rather than a reset; a longer one, or one whose
 * client waits for "100 Continue", gets the 413 at once (the rest unread). */
#define DISCARD_MAX (64 << 20)
/*
 * Per-connection memory pool. libmicrohttpd's 32 KiB default costs cache at
 * hundreds of connections; 16 KiB still takes a 12 KB header line (nginx's
 * default limit is 8 KB) and served ~15% more requests per CPU-second at 512
 * connections (bench/RESULTS.md). Larger header blocks get 431.
 */
#define CONNECTION_MEMORY (16 * 1024)


static void request_free(struct request *rq)
{
	if (!rq)
		return;
	if (rq->idem_key && rq->m)
		mock_idem_abort(rq->m, rq); /* ended without a stored response */
	free(rq->idem_key);
	free(rq->admin_body);
	free(rq->raw);
	if (rq->sp && rq->m) /* journaled by now */
		atomic_fetch_sub(&rq->m->streaming, 1);
	stream_plan_free(rq->own_plan);
	free(rq->raw_uri);
	forwarding_free(rq->fw);
	free(rq->url);
	free(rq->method);
	transfer_unref(rq->xfer);
	scenario_unref(rq->sc);
	free(rq->d.upstream);
	free(rq->d.conformance);
	free(rq);
}

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
	char type[96], *text = utf8_sanitize(detail, NULL); /* it may quote the request */
	json_t *p;

	(void)m;
	snprintf(type, sizeof(type), "/__errata/problems/%s", slug);
	p = json_pack("{ss ss si ss}", "type", type, "title", title, "status", (int)status,
		      "detail", text ? text : "");
	free(text);
	if (valid)
		json_object_set_new(p, "valid", valid);
	return mock_reply_json(conn, status, "application/problem+json", p);
}

/* --- start-up: render everything the hot path will serve --- */

static int prepare(struct mount *mt, struct contract *c)
{
	size_t i;

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
	mt->success = envelope_success_text(c);
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

/* --- the request path: libmicrohttpd's callbacks --- */

/* Every request has its state from the start, where its decision is kept
 * (errata proxy keeps its target as sent: the handler gets it decoded). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct mock *m = cls;
	struct request *rq = calloc(1, sizeof(*rq));

	(void)conn;
	if (!rq)
		return NULL;
	rq->m = m;
	rq->fresh = 1;
	rq->inject = -1;
	rq->body_hash = JOURNAL_HASH_INIT;
	if (m->first_request && !atomic_flag_test_and_set(&m->heard))
		m->first_request(m->first_request_ctx);
	if (m->first_call && !(rq->raw_uri = strdup(uri ? uri : "/"))) {
		free(rq);
		return NULL;
	}
	return rq;
}

static enum MHD_Result handle(struct mock *m, struct MHD_Connection *conn, const char *url,
			      const char *method, struct request *rq)
{
	if (rq->phase == PH_CLOSE)
		return MHD_NO; /* a hang or dribble has ended: close */
	if (rq->phase == PH_WAITING) {
		rq->phase = PH_READY; /* resumed after a delay */
		return deliver_step(m, conn, method, rq->path ? rq->path : url, rq);
	}
	if (!strncmp(url, "/__errata", 9) && (url[9] == '/' || url[9] == '\0'))
		return admin_handle(m, conn, method, url, rq->admin_body, rq->admin_len);
	return stages_run(m, conn, url, method, rq);
}

/* A body declared too large is refused before a byte is read, when the
 * client waits for "100 Continue" (it sends nothing) or it is too large to
 * read and drop: 1 then. */
static int declared_too_large(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;

	return declared > BODY_MAX && ((expect && strcasestr(expect, "100-continue")) || declared > DISCARD_MAX);
}

/* Body bytes: counted and hashed; kept by an admin request (and by every
 * request where an upstream step may send it). */
static int take_body(struct mock *m, const char *url, struct request *rq, const char *data, size_t n)
{
	if (rq->body_size <= BODY_MAX) {
		rq->body_hash = journal_hash(rq->body_hash, data, n);
		if ((m->keep_bodies || !strncmp(url, "/__errata", 9)) && rq->admin_len + n <= BODY_MAX) {
			char *b = realloc(rq->admin_body, rq->admin_len + n + 1);

			if (!b)
				return -1;
			memcpy(b + rq->admin_len, data, n);
			rq->admin_len += n;
			b[rq->admin_len] = '\0';
			rq->admin_body = b;
		}
	}
	rq->body_size += n;
	return 0;
}

/* The first call: nothing read yet. Answering now would make
 * libmicrohttpd close the connection, so it waits for the next call,
 * unless the body is refused unread or errata proxy takes the request. */
static enum MHD_Result first(struct mock *m, struct MHD_Connection *conn, const char *url, const char *method,
			     struct request *rq)
{
	enum MHD_Result ret;

	rq->fresh = 0;
	if (m->first_call && m->first_call(m, conn, url, method, rq, &ret))
		return ret;
	if ((MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
	     MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING)) &&
	    declared_too_large(conn)) {
		rq->body_size = (uint64_t)BODY_MAX + 1;
		rq->declared_too_large = 1;
		return handle(m, conn, url, method, rq);
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct mock *m = cls;
	struct request *rq = *req_cls;
	enum MHD_Result ret;

	(void)version;
	if (!rq)
		return MHD_NO; /* out of memory when it came */
	if (rq->forward)
		return forward_continue(m, conn, method, upload_data, upload_data_size, rq);
	if (rq->fresh)
		ret = first(m, conn, url, method, rq);
	else if (rq->body_size > DISCARD_MAX || rq->declared_too_large) {
		*upload_data_size = 0; /* answer 413 now; libmicrohttpd reads no more and closes */
		ret = handle(m, conn, url, method, rq);
	} else if (*upload_data_size) {
		ret = take_body(m, url, rq, upload_data, *upload_data_size) ? MHD_NO : MHD_YES;
		*upload_data_size = 0;
	} else {
		ret = handle(m, conn, url, method, rq);
	}
	if (!rq->forwarding)
		conclude(m, conn, rq, method, rq->path ? rq->path : url);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct mock *m = cls;
	struct request *rq = *req_cls;

	if (rq && rq->forwarding)
		forward_end(m, conn, rq, toe);
	else if (rq && rq->sp) /* libmicrohttpd may close a resumed stream without a last call */
		stream_end(m, conn, rq);
	if (rq && rq->counted)
		atomic_fetch_sub(&m->active, 1);
	request_free(rq);
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

struct MHD_Daemon *mock_daemon_start(struct mock *m, const struct mock_config *cfg, unsigned flags,
				       uint16_t port, struct sockaddr_storage *ss, unsigned pool, int reuse)
{
	(void)cfg;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
		MHD_OPTION_THREAD_POOL_SIZE, pool,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)16384,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MOCK_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, m,
		/* only when shared: 0 would disallow SO_REUSEADDR, and a mock
		 * restarted on its port would find it taken for a minute by the
		 * last run's connections in TIME_WAIT */
		reuse ? MHD_OPTION_LISTENING_ADDRESS_REUSE : MHD_OPTION_END, 1u,
		MHD_OPTION_END);
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
			 MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
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
	m->max_concurrent = cfg->max_concurrent;
	m->root = cfg->root;
	m->first_request = cfg->first_request;
	m->first_request_ctx = cfg->first_request_ctx;
	atomic_flag_clear(&m->heard);
	m->prefix_mounts = 1;
	m->stages = serve_stages;
	m->rate_limited = cfg->rate_quota > 0;
	if (scenarios_init(&m->scenarios) || idem_init(&m->idem) || replicas_start(m, cfg) ||
	    limiter_init(&m->limiter, cfg->rate_quota, cfg->rate_window) || timer_start(&m->timer)) {
		snprintf(why, size, "cannot start the mock's threads");
		goto fail;
	}
	m->contracts = cfg->contracts;
	if (cfg->admin_token && !(m->admin_token = strdup(cfg->admin_token)))
		goto oom;
	snprintf(m->host, sizeof(m->host), "%s", host);
	if (cfg->nr_admin_hosts && !(m->admin_hosts = calloc(cfg->nr_admin_hosts, sizeof(char *))))
		goto oom;
	for (i = 0; i < cfg->nr_admin_hosts; i++, m->nr_admin_hosts++)
		if (!(m->admin_hosts[i] = strdup(cfg->admin_hosts[i])))
			goto oom;
	m->mounts = calloc(cfg->nr_contracts ? cfg->nr_contracts : 1, sizeof(*m->mounts));
	if (!m->mounts)
		goto oom;
	for (i = 0; i < cfg->nr_contracts; i++) {
		m->nr_mounts++;
		if (prepare(&m->mounts[i], cfg->contracts[i]))
			goto oom;
	}
	if (cfg->upstream ? proxy_start(m, cfg, why, size) : mock_chaos_start(m, cfg, why, size))
		goto fail;
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
		/* errata serve: two per core. Measured (bench/ab) 8% more requests
		 * at 64 and 512 connections than one per core, and never
		 * libmicrohttpd's single-thread mode, which (0.9.75) served under
		 * 1,000 requests per second to wrk at 256 connections. */
		if (!cfg->upstream)
			threads *= 2;
	}
	if (cfg->upstream) {
		if (proxy_daemons(m, cfg, flags, &ss, threads, why, size))
			goto fail;
		return m;
	}
	m->daemon = mock_daemon_start(m, cfg, flags, (uint16_t)cfg->port, &ss, threads > 1 ? threads : 0, 0);
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

int mock_exchanges(struct mock *m, const char *scenario, struct mock_exchanges *out)
{
	struct journal_view *v = calloc(1, sizeof(*v));

	char why[300];

	memset(out, 0, sizeof(*out));
	if (!v || (m->shared ? shared_journal_view(m->shared, 0, 0, scenario, v, why, sizeof(why)) :
		   journal_view(&m->journal, 0, 0, scenario, v))) {
		free(v);
		return -1;
	}
	out->view = v;
	out->x = journal_exchanges(v, &out->n);
	return v->n && !out->x ? -1 : 0;
}

void mock_exchanges_release(struct mock_exchanges *ex)
{
	free(ex->x);
	if (ex->view) {
		journal_view_release(ex->view);
		free(ex->view);
	}
	memset(ex, 0, sizeof(*ex));
}

int mock_settle(struct mock *m, unsigned max_ms)
{
	struct timespec ts = { 0, 10 * 1000000 };
	unsigned waited = 0;

	while (atomic_load(&m->streaming) > 0) {
		if (waited >= max_ms)
			return -1;
		nanosleep(&ts, NULL);
		waited += 10;
	}
	return 0;
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
	atomic_store(&m->stopping, 1);
	if (m->daemon) {
		MHD_socket listen_fd[64];
		unsigned waited = 0, k, nd = m->nr_daemons ? m->nr_daemons : 1;
		struct MHD_Daemon **ds = m->nr_daemons ? m->daemons : &m->daemon;

		for (k = 0; k < nd && k < 64; k++)
			listen_fd[k] = MHD_quiesce_daemon(ds[k]);
		timer_stop(&m->timer); /* resumes every suspended connection */
		while (waited < drain_ms) {
			unsigned open = 0;

			for (k = 0; k < nd; k++) {
				const union MHD_DaemonInfo *info =
					MHD_get_daemon_info(ds[k], MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

				open += info ? info->num_connections : 0;
			}
			if (!open)
				break;
			usleep(10000);
			waited += 10;
		}
		proxy_stop(m); /* ends every transfer: their connections resume */
		for (k = 0; k < nd; k++) {
			MHD_stop_daemon(ds[k]);
			if (k < 64 && listen_fd[k] != MHD_INVALID_SOCKET)
				close(listen_fd[k]);
		}
	} else {
		proxy_stop(m);
	}
	timer_stop(&m->timer);
	proxy_release(m);
	scenario_unref(m->inject_sc);
	chaos_free(m->chaos);
	inject_spec_release(&m->inject);
	free(m->daemons);
	for (i = 0; i < m->nr_mounts; i++)
		unprepare(&m->mounts[i]);
	free(m->mounts);
	free(m->admin_token);
	for (i = 0; i < m->nr_admin_hosts; i++)
		free(m->admin_hosts[i]);
	free(m->admin_hosts);
	journal_release(&m->journal);
	scenarios_release(&m->scenarios);
	replicas_stop(m);
	idem_release(&m->idem);
	limiter_release(&m->limiter);
	free(m);
}

/* A --scenarios definition with --state: into the store, under its id
 * (one the store holds already is kept as it is). 0, or -1 after ld's error. */
static int share_definition(struct mock *m, struct jload *ld, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT), why[600];
	struct admin_problem pb;
	struct scenario *sc = text ? admin_scenario_build(m, text, strlen(text), &pb) : NULL;
	int rc = -1;

	if (!sc) {
		jload_fail(ld, 0, "%s", text ? pb.why : "out of memory");
		json_decref(text ? pb.valid : NULL);
	} else if (!sc->id[0]) {
		jload_fail(ld, 0, "with --state, each scenario needs an \"id\": replicas share them by id");
	} else if (shared_scenario_add(m->shared, sc->id, text, strlen(text), why, sizeof(why)) < 0 ||
		   replicas_check(m, why, sizeof(why))) {
		jload_fail(ld, 0, "%s", why);
	} else {
		rc = 0;
	}
	scenario_unref(sc);
	free(text);
	return rc;
}

int mock_load_scenarios(struct mock *m, const char *text, size_t len, const char *source,
			struct load_error *err)
{
	struct jload ld;
	json_t *root = jload_parse(&ld, text, len, source, err), *v;
	size_t i, n;
	int rc = 0;

	if (!root)
		return -1;
	n = json_is_array(root) ? json_array_size(root) : 1;
	for (i = 0; i < n && !rc; i++) {
		struct scenario *sc;
		char why[200];

		v = json_is_array(root) ? json_array_get(root, i) : root;
		if (json_is_array(root))
			jpath_index(&ld.path, i);
		if (m->shared) {
			rc = share_definition(m, &ld, v);
			ld.path.nr = 0;
			continue;
		}
		sc = scenario_parse(&ld, v, m->contracts, m->nr_mounts);
		if (!sc) {
			rc = -1;
		} else if (!mock_forwards(m) && scenario_has_upstream(sc)) {
			scenario_unref(sc);
			jload_fail(&ld, 0, "a step says \"upstream\": true, and only errata proxy has a real API to pass it to");
			rc = -1;
		} else if (scenarios_add(&m->scenarios, sc, why, sizeof(why))) {
			scenario_unref(sc);
			ld.path.nr = json_is_array(root) ? 1 : 0;
			jload_fail(&ld, 0, "%s", why);
			rc = -1;
		}
		ld.path.nr = 0;
	}
	json_decref(root);
	return rc;
}
