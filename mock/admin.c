/*
 * The admin API under /__errata/: health for CI readiness, the mounted
 * contracts, and the journal. With an admin token, every admin request
 * needs "Authorization: Bearer <token>"; without one, the mock listens on
 * loopback only (enforced by errata serve).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "shared.h"
#include "../model/version.h"

static const char *const endpoints[] = {
	"GET /__errata/health", "GET /__errata/contracts",
	"GET /__errata/journal[?since=SEQ&limit=N&scenario=ID]", "DELETE /__errata/journal",
	"POST /__errata/scenarios", "GET /__errata/scenarios",
	"GET /__errata/scenarios/ID", "DELETE /__errata/scenarios/ID",
	"GET /__errata/scenarios/ID/verdicts", "POST /__errata/scenarios/ID/outcome",
	"GET /__errata/suite?contract=ID[&operation=METHOD%20PATH]", "POST /__errata/reset",
	"GET /__errata/report[?format=json|tap|junit] (errata proxy, and errata serve --inject)", NULL
};

/* Compare in time independent of where the strings differ. */
static int same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static int authorised(const struct mock *m, struct MHD_Connection *conn)
{
	const char *auth;

	if (!m->admin_token)
		return 1;
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	return auth && !strncmp(auth, "Bearer ", 7) && same_secret(auth + 7, m->admin_token);
}

/* The host part of a Host header or an origin's authority: "[::1]:80" gives
 * "::1", "localhost:8080" "localhost". 0, or -1 when it is malformed. */
static int host_part(const char *authority, char *out, size_t size)
{
	const char *end;
	size_t n;

	if (*authority == '[') {
		end = strchr(authority, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		authority++;
	} else {
		end = authority + strcspn(authority, ":");
	}
	n = (size_t)(end - authority);
	if (!n || n >= size)
		return -1;
	memcpy(out, authority, n);
	out[n] = '\0';
	return 0;
}

/* A name the admin API answers to: loopback, the bound address, or one
 * given with --admin-host. Compared whole, case-insensitively. */
static int allowed_host(const struct mock *m, const char *authority)
{
	char host[256];
	size_t i;

	if (host_part(authority, host, sizeof(host)))
		return 0;
	if (mock_is_loopback(host) || !strcasecmp(host, m->host))
		return 1;
	for (i = 0; i < m->nr_admin_hosts; i++)
		if (!strcasecmp(host, m->admin_hosts[i]))
			return 1;
	return 0;
}

/*
 * What keeps a web page out (DNS rebinding, cross-site requests): NULL, or
 * why the request is refused, with the status into *status.
 *  - Host must name the mock: loopback, the bound address, or --admin-host;
 *  - a browser's Origin must be such a host too, and Sec-Fetch-Site, when a
 *    browser sends it, "same-origin" or "none";
 *  - a write (POST, PUT, PATCH) must say it is JSON, which a page cannot
 *    send without a CORS preflight that the mock never grants.
 */
static const char *browser_guard(const struct mock *m, struct MHD_Connection *conn,
				 const char *method, unsigned *status)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	*status = MHD_HTTP_FORBIDDEN;
	if (host && !allowed_host(m, host))
		return "the Host header does not name this mock (loopback, its address, or an --admin-host)";
	if (origin) {
		const char *auth = strstr(origin, "://");

		if (!auth || strncasecmp(origin, "http", 4) || !allowed_host(m, auth + 3))
			return "a cross-origin request from a web page";
	}
	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return "a cross-site request from a web page (Sec-Fetch-Site)";
	if (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
		size_t n = type ? strcspn(type, ";") : 0;

		while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
			n--;
		if (!type || !((n == 16 && !strncasecmp(type, "application/json", 16)) ||
			       (n > 17 && !strncasecmp(type, "application/", 12) &&
				!strncasecmp(type + n - 5, "+json", 5)))) {
			*status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
			return "admin writes need Content-Type: application/json";
		}
	}
	return NULL;
}

static json_t *endpoint_list(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; endpoints[i]; i++)
		json_array_append_new(a, json_string(endpoints[i]));
	return a;
}

static json_t *health(const struct mock *m)
{
	json_t *ids = json_array();
	size_t i;

	for (i = 0; i < m->nr_mounts; i++)
		json_array_append_new(ids, json_string(m->mounts[i].c->id));
	return json_pack("{ss ss sf so si ss? ss?}", "status", "ok", "version", ERRATA_VERSION,
			 "uptime_s", (double)mock_now_us(m) / 1e6, "contracts", ids,
			 "journal_capacity", (int)m->journal.capacity,
			 "state", m->shared ? shared_where(m->shared) : NULL,
			 "replica", m->shared && m->replica[0] ? m->replica : NULL);
}

static json_t *contracts(const struct mock *m)
{
	json_t *out = json_array();
	size_t i, j, k;

	for (i = 0; i < m->nr_mounts; i++) {
		const struct contract *c = m->mounts[i].c;
		json_t *codes = json_array(), *statuses = json_array();

		for (j = 0; j < c->nr_codes; j++) {
			const struct contract_code *cc = &c->codes[j];
			json_t *o = json_pack("{ss si sb ss}", "code", cc->code, "status", cc->status,
					      "retryable", cc->retryable, "role", role_name(cc->role));

			if (cc->name)
				json_object_set_new(o, "name", json_string(cc->name));
			if (cc->status_only)
				json_object_set_new(o, "status_only", json_true());
			json_array_append_new(codes, o);
			for (k = 0; k < j; k++)
				if (c->codes[k].status == cc->status)
					break;
			if (k == j)
				json_array_append_new(statuses, json_integer(cc->status));
		}
		json_array_append_new(out, json_pack("{ss ss ss so so}", "id", c->id, "title", c->title,
						     "content_type", c->content_type,
						     "codes", codes, "statuses", statuses));
	}
	return json_pack("{so}", "contracts", out);
}

/* A non-negative integer query argument; 0 when absent, -1 when malformed. */
static long long uint_arg(struct MHD_Connection *conn, const char *name)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	unsigned long long n;

	if (!v)
		return 0;
	if (!*v || *v == '-' || strlen(v) > 18)
		return -1;
	n = strtoull(v, &end, 10);
	return *end ? -1 : (long long)n;
}

struct scenario *admin_scenario_build(struct mock *m, const char *body, size_t len, struct admin_problem *pb)
{
	struct load_error err = { 0 };
	struct jload ld;
	struct scenario *sc = NULL;
	struct suite_scenario *spec = NULL;
	json_t *def, *parse = NULL;
	char *built = NULL;

	pb->status = MHD_HTTP_BAD_REQUEST;
	pb->slug = "invalid-scenario";
	pb->title = "Invalid scenario";
	pb->valid = NULL;
	pb->why[0] = '\0';
	def = jload_parse(&ld, body ? body : "", len, "request body", &err);
	if (def && !json_is_object(def))
		parse = def; /* scenario_parse says what is wrong with it */
	else if (def && verdict_spec_take(m, def, &parse, &spec, &pb->valid, pb->why, sizeof(pb->why)))
		return NULL;
	if (parse && spec) { /* built: positions name the built definition, kept while it is read */
		built = json_dumps(parse, JSON_COMPACT);
		json_decref(parse);
		parse = built ? jload_parse(&ld, built, strlen(built), "request body", &err) : NULL;
	}
	if (!parse || !(sc = scenario_parse(&ld, parse, m->contracts, m->nr_mounts))) {
		load_error_format(&err, pb->why, sizeof(pb->why));
		json_decref(parse);
		free(built);
		suite_scenario_free(spec);
		return NULL;
	}
	json_decref(parse);
	free(built);
	if (!mock_forwards(m) && scenario_has_upstream(sc)) {
		scenario_unref(sc);
		suite_scenario_free(spec);
		snprintf(pb->why, sizeof(pb->why),
			 "a step says \"upstream\": true, and only errata proxy has a real API to pass it to");
		return NULL;
	}
	sc->spec = spec;
	if (spec)
		sc->bytes += 1024 + json_array_size(spec->steps) * 256;
	return sc;
}

static enum MHD_Result add_scenario(struct mock *m, struct MHD_Connection *conn,
				    const char *body, size_t len)
{
	struct admin_problem pb;
	struct scenario *sc = admin_scenario_build(m, body, len, &pb);
	char why[600];
	json_t *reply;

	if (!sc)
		return mock_problem(m, conn, pb.status, pb.slug, pb.title, pb.why, pb.valid);
	if (m->shared)
		return replicas_add(m, conn, sc, body, len);
	scenario_ref(sc); /* ours, for the reply: a DELETE may come as soon as it is added */
	switch (scenarios_add(&m->scenarios, sc, why, sizeof(why))) {
	case SCENARIOS_ADDED:
		break;
	case SCENARIOS_EXISTS:
		scenario_unref(sc);
		scenario_unref(sc);
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "scenario-exists",
				    "Scenario not added", why, NULL);
	case SCENARIOS_FULL:
		scenario_unref(sc);
		scenario_unref(sc);
		return mock_problem(m, conn, 507, "registry-full", "Scenario registry full", why, NULL);
	}
	reply = sc->spec ? verdict_spec_json(m, sc) : json_pack("{ss}", "id", sc->id);
	scenario_unref(sc);
	return mock_reply_json(conn, MHD_HTTP_CREATED, "application/json", reply);
}

static enum MHD_Result one_scenario(struct mock *m, struct MHD_Connection *conn,
				    const char *method, const char *id, const char *body, size_t len)
{
	struct scenario *sc;
	char why[400], name[64];
	const char *slash = strchr(id, '/'), *sub = slash ? slash + 1 : NULL;
	size_t n = slash ? (size_t)(slash - id) : strlen(id);
	enum MHD_Result ret;

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, id, n);
	name[n] = '\0';
	if (sub && strcmp(sub, "verdicts") && strcmp(sub, "outcome")) {
		snprintf(why, sizeof(why), "a scenario has /verdicts and /outcome, not '/%.100s'", sub);
		return mock_problem(m, conn, MHD_HTTP_NOT_FOUND, "unknown-endpoint", "Unknown admin endpoint", why,
				    endpoint_list());
	}
	if (sub ? strcmp(method, !strcmp(sub, "verdicts") ? "GET" : "POST") :
	    strcmp(method, "GET") && strcmp(method, "DELETE"))
		return mock_problem(m, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
				    "a scenario takes GET and DELETE, its /verdicts GET, its /outcome POST", endpoint_list());
	if (m->shared && replicas_sync(m, why, sizeof(why)))
		return replicas_admin_unavailable(m, conn, why);
	if (!sub && !strcmp(method, "DELETE")) {
		int gone = m->shared ? shared_scenario_remove(m->shared, name, why, sizeof(why)) :
			!scenarios_remove(&m->scenarios, name);

		if (gone < 0 || (gone && m->shared && replicas_check(m, why, sizeof(why))))
			return replicas_admin_unavailable(m, conn, why);
		if (gone && m->shared)
			replicas_changed();
		if (gone)
			return mock_reply_json(conn, MHD_HTTP_OK, "application/json",
					       json_pack("{ss}", "deleted", name));
	} else if ((sc = scenarios_get(&m->scenarios, name))) {
		if (!sub && m->shared && replicas_account(m, sc, why, sizeof(why))) {
			scenario_unref(sc);
			return replicas_admin_unavailable(m, conn, why);
		}
		if (!sub) {
			json_t *j = scenario_json(sc);

			if (j && sc->spec)
				json_object_set_new(j, "verdicts", verdict_spec_json(m, sc));
			ret = mock_reply_json(conn, MHD_HTTP_OK, "application/json", j);
		} else if (!strcmp(sub, "verdicts")) {
			ret = verdict_reply(m, conn, sc);
		} else {
			ret = verdict_outcome(m, conn, sc, body, len);
		}
		scenario_unref(sc);
		return ret;
	}
	snprintf(why, sizeof(why), "no scenario has the id '%.100s'", name);
	return mock_problem(m, conn, MHD_HTTP_NOT_FOUND, "unknown-scenario", "Unknown scenario", why, NULL);
}

/* The journal, streamed: written a piece at a time as the socket takes it,
 * so that a large journal never holds the worker that sends it. */
static ssize_t journal_piece(void *cls, uint64_t pos, char *buf, size_t max)
{
	long n = journal_view_read(cls, buf, max);

	(void)pos;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void journal_done(void *cls)
{
	journal_view_release(cls);
	free(cls);
}

static enum MHD_Result journal_reply(struct mock *m, struct MHD_Connection *conn, uint64_t since,
				     size_t limit, const char *scenario)
{
	struct journal_view *v = malloc(sizeof(*v));
	struct MHD_Response *r;
	enum MHD_Result ret;
	char why[400];

	if (v && m->shared && shared_journal_view(m->shared, since, limit, scenario, v, why, sizeof(why))) {
		free(v);
		return replicas_admin_unavailable(m, conn, why);
	}
	if (!v || (!m->shared && journal_view(&m->journal, since, limit, scenario, v))) {
		free(v);
		return mock_problem(m, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "out-of-memory", "Out of memory",
				    "the journal could not be read: out of memory", NULL);
	}
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, journal_piece, v, journal_done);
	if (!r) {
		journal_done(v);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result clear_journal(struct mock *m, struct MHD_Connection *conn)
{
	char why[400];
	long long n = m->shared ? shared_journal_clear(m->shared, why, sizeof(why)) :
		(long long)journal_clear(&m->journal);

	if (n < 0)
		return replicas_admin_unavailable(m, conn, why);
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json", json_pack("{sI}", "cleared", (json_int_t)n));
}

static enum MHD_Result list_scenarios(struct mock *m, struct MHD_Connection *conn)
{
	char why[400];
	json_t *a;

	if (!m->shared)
		return mock_reply_json(conn, MHD_HTTP_OK, "application/json",
				       json_pack("{so}", "scenarios", scenarios_json(&m->scenarios)));
	if (replicas_sync(m, why, sizeof(why)) || !(a = replicas_scenarios_json(m, why, sizeof(why))))
		return replicas_admin_unavailable(m, conn, why);
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json", json_pack("{so}", "scenarios", a));
}

/* POST /__errata/reset: every scenario, the journal, every key and bucket
 * (with --state, the store's: every replica's). */
static enum MHD_Result reset(struct mock *m, struct MHD_Connection *conn)
{
	long long sc, jn, keys;
	char why[400];

	if (m->shared) {
		if ((sc = shared_scenarios_clear(m->shared, why, sizeof(why))) < 0 ||
		    (jn = shared_journal_clear(m->shared, why, sizeof(why))) < 0 ||
		    (keys = shared_forget_keys(m->shared, why, sizeof(why))) < 0 ||
		    replicas_check(m, why, sizeof(why)))
			return replicas_admin_unavailable(m, conn, why);
		replicas_changed();
	} else {
		sc = (long long)scenarios_clear(&m->scenarios);
		jn = (long long)journal_clear(&m->journal);
		keys = (long long)idem_clear(&m->idem);
		limiter_clear(&m->limiter);
	}
	return mock_reply_json(conn, MHD_HTTP_OK, "application/json",
			       json_pack("{sI sI sI}", "scenarios", (json_int_t)sc, "journal", (json_int_t)jn,
					 "idempotency_keys", (json_int_t)keys));
}

/* errata proxy's conformance report, as errata check writes it. */
static enum MHD_Result report_reply(struct mock *m, struct MHD_Connection *conn)
{
	const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
	json_t *report;
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *type = "application/json";
	size_t len = 0;
	char *text, why[200] = "";

	if (!mock_forwards(m) && !m->chaos)
		return mock_problem(m, conn, MHD_HTTP_NOT_FOUND, "no-report", "No report",
				    "errata serve judges the retries of the errors it injects (--inject); it injects none", NULL);
	if (!m->report) { /* no writers given: the findings as they are */
		if (!(report = mock_forwards(m) ? mock_proxy_report(m) : mock_chaos_report(m)))
			return MHD_NO;
		return mock_reply_json(conn, MHD_HTTP_OK, "application/json", report);
	}
	text = m->report(m->report_ctx, m, format ? format : "json", &len, &type, why, sizeof(why));
	if (!text && why[0])
		return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-query", "Malformed query", why, NULL);
	if (!text)
		return mock_problem(m, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out-of-memory", "Out of memory",
				    "the report could not be written", NULL);
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result admin_handle(struct mock *m, struct MHD_Connection *conn,
			     const char *method, const char *url, const char *body, size_t len)
{
	const char *what = url + strlen("/__errata");
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	unsigned status;
	const char *refused = browser_guard(m, conn, method, &status);

	if (refused)
		return mock_problem(m, conn, status, status == MHD_HTTP_FORBIDDEN ? "forbidden" : "unsupported-media-type",
				    status == MHD_HTTP_FORBIDDEN ? "Forbidden" : "Unsupported media type", refused, NULL);
	if (!authorised(m, conn)) {
		struct MHD_Response *r;
		enum MHD_Result ret;
		static const char denied[] =
			"{\"type\":\"/__errata/problems/unauthorized\",\"title\":\"Unauthorized\","
			"\"status\":401,\"detail\":\"admin requests need a valid bearer token\"}";

		r = MHD_create_response_from_buffer(sizeof(denied) - 1, (void *)denied,
						    MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"errata\"");
		ret = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (!*what || !strcmp(what, "/")) {
		if (get)
			return mock_reply_json(conn, MHD_HTTP_OK, "application/json",
					       json_pack("{so}", "endpoints", endpoint_list()));
	} else if (!strcmp(what, "/health")) {
		if (get)
			return mock_reply_json(conn, MHD_HTTP_OK, "application/json", health(m));
	} else if (!strcmp(what, "/contracts")) {
		if (get)
			return mock_reply_json(conn, MHD_HTTP_OK, "application/json", contracts(m));
	} else if (!strcmp(what, "/journal")) {
		if (get) {
			long long since = uint_arg(conn, "since"), limit = uint_arg(conn, "limit");

			if (since < 0 || limit < 0)
				return mock_problem(m, conn, MHD_HTTP_BAD_REQUEST, "malformed-query",
						    "Malformed query", "since and limit must be non-negative integers", NULL);
			return journal_reply(m, conn, (uint64_t)since, (size_t)limit,
					     MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "scenario"));
		}
		if (!strcmp(method, "DELETE"))
			return clear_journal(m, conn);
	} else if (!strcmp(what, "/scenarios")) {
		if (!strcmp(method, "POST"))
			return add_scenario(m, conn, body, len);
		if (get)
			return list_scenarios(m, conn);
	} else if (!strncmp(what, "/scenarios/", 11) && what[11]) {
		return one_scenario(m, conn, method, what + 11, body, len);
	} else if (!strcmp(what, "/suite")) {
		if (get)
			return verdict_suite_reply(m, conn);
	} else if (!strcmp(what, "/report")) {
		if (get)
			return report_reply(m, conn);
	} else if (!strcmp(what, "/reset")) {
		if (!strcmp(method, "POST"))
			return reset(m, conn);
	} else {
		char why[300];

		snprintf(why, sizeof(why), "'%.200s' is not an admin endpoint", url);
		return mock_problem(m, conn, MHD_HTTP_NOT_FOUND, "unknown-endpoint",
				    "Unknown admin endpoint", why, endpoint_list());
	}
	return mock_problem(m, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed",
			    "Method not allowed", "see valid for the methods each endpoint takes",
			    endpoint_list());
}
