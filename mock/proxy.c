/*
 * errata proxy's side of the mock: its state at start-up (the upstream's
 * threads, each running a daemon of its own; conformance; --inject), the
 * request state it starts from, and its findings. What is forwarded, and
 * how, is forward.c; the upstream, upstream.c and transfer.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "framing.h"

const stage_fn proxy_stages[] = {
	stage_admit_body, stage_admit_concurrency, stage_admit_rate,
	stage_choose_injected, stage_choose_scenario, stage_choose_selector, stage_choose_stream,
	stage_choose_forward, NULL
};

/*
 * A request's first call, before its body: plan what would go upstream
 * (a request that could be read two ways, or would leave the upstream, is
 * refused here), then look through the stages without deciding anything
 * (a dry pass): when nothing is asked of the mock and --inject picks
 * nothing, the request streams to the upstream as its body comes.
 */
static int first_call(struct mock *m, struct MHD_Connection *conn, const char *url, const char *method,
		      struct request *rq, enum MHD_Result *ret)
{
	struct pass p;
	const stage_fn *s;
	char pin[64], why[300];
	const char *path;
	int bad;

	if ((bad = forward_prepare(m, conn, rq, why, sizeof(why)))) {
		*ret = bad == -2 ? MHD_NO : refuse(m, conn, rq, NULL, MHD_HTTP_BAD_REQUEST, "bad-request",
						   "Bad request", NULL, "%s", why);
		return 1;
	}
	if ((!strncmp(url, "/__errata", 9) && (url[9] == '/' || !url[9])) ||
	    !(path = stages_pin(url, pin, sizeof(pin))) || pin[0])
		return 0; /* the admin API, or a pinned scenario: the mock answers first */
	pass_init(&p, m, conn, rq, method, path);
	p.dry = 1;
	if (stages_mount(&p, path))
		return 0;
	for (s = m->stages; *s && (*s)(&p) == GO_ON; s++)
		;
	scenario_unref(p.sc);
	if (!p.forward)
		return 0;
	if (mock_chaos_pick(m, conn, p.mt, method, p.below, rq))
		return 0;
	rq->forward = 1;
	*ret = forward_begin(m, conn, url, method, rq);
	return 1;
}

static void kick(struct mock *m)
{
	upstream_kick(m->up);
}

int mock_forwards(const struct mock *m)
{
	return m->up != NULL;
}

void proxy_stop(struct mock *m)
{
	if (m->up)
		upstream_stop(m->up);
}

void proxy_release(struct mock *m)
{
	if (m->up) {
		upstream_free(m->up);
		conformance_release(&m->conf);
	}
	if (m->fup) {
		framing_upstream_release(m->fup);
		free(m->fup);
	}
}

/* errata proxy's parts: the upstream, conformance, the injection. */
int proxy_start(struct mock *m, const struct mock_config *cfg, char *why, size_t size)
{
	if (cfg->nr_contracts != 1) {
		snprintf(why, size, "errata proxy speaks for one contract (%zu given)", cfg->nr_contracts);
		return -1;
	}
	m->root = 1;
	m->prefix_mounts = 0; /* every path is the upstream's */
	m->stages = proxy_stages;
	m->first_call = first_call;
	m->kick = kick;
	m->keep_bodies = 1;
	if (!(m->fup = calloc(1, sizeof(*m->fup))))
		goto oom;
	if (framing_upstream_init(m->fup, cfg->upstream->url, why, size)) {
		free(m->fup);
		m->fup = NULL;
		return -1;
	}
	m->redactor = cfg->redactor;
	m->report = cfg->report;
	m->report_ctx = cfg->report_ctx;
	if (conformance_init(&m->conf))
		goto oom;
	return mock_chaos_start(m, cfg, why, size);
oom:
	snprintf(why, size, "out of memory");
	return -1;
}

int mock_proxy_findings(struct mock *m, struct proxy_findings *out)
{
	memset(out, 0, sizeof(*out));
	if (!m->up && m->chaos) /* errata serve --inject: its verdicts alone */
		return (out->chaos = mock_chaos_report(m)) ? 0 : -1;
	if (!m->up)
		return -1;
	out->forwarded = atomic_load(&m->forwarded);
	out->injected = atomic_load(&m->answered);
	out->upstream_failed = atomic_load(&m->upstream_failed);
	pthread_mutex_lock(&m->conf.lock);
	out->observed = m->conf.observed;
	out->violating = m->conf.violating;
	out->unjudged = m->conf.unjudged;
	pthread_mutex_unlock(&m->conf.lock);
	out->conformance = &m->conf;
	out->chaos = mock_chaos_report(m);
	return 0;
}

json_t *mock_proxy_report(struct mock *m)
{
	if (!m->up)
		return NULL;
	return json_pack("{sI sI sI so* so so*}", "forwarded", (json_int_t)atomic_load(&m->forwarded),
			 "injected", (json_int_t)atomic_load(&m->answered),
			 "upstream_failed", (json_int_t)atomic_load(&m->upstream_failed),
			 "inject_seed", m->inject_sc ? json_sprintf("%llu", (unsigned long long)m->inject.seed) : NULL,
			 "conformance", conformance_json(&m->conf), "retries", mock_chaos_report(m));
}

static void daemon_run(void *arg)
{
	MHD_run(arg);
}

static long daemon_timeout(void *arg)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(arg, &ms) != MHD_YES)
		return -1;
	return ms > 60000 ? 60000 : (long)ms;
}

/*
 * errata proxy: a daemon per thread, all on one port (SO_REUSEPORT), each
 * run by an upstream thread in the same loop as its transfers, so a
 * request goes to the upstream and back without changing threads.
 */
int proxy_daemons(struct mock *m, const struct mock_config *cfg, unsigned flags,
			 struct sockaddr_storage *ss, unsigned threads, char *why, size_t size)
{
	struct upstream_config uc = *cfg->upstream;
	struct upstream_host *hosts;
	unsigned i;

	flags &= ~(unsigned)MHD_USE_INTERNAL_POLLING_THREAD;
	if (!(m->daemons = calloc(threads, sizeof(*m->daemons))) ||
	    !(hosts = calloc(threads, sizeof(*hosts)))) {
		snprintf(why, size, "out of memory");
		return -1;
	}
	for (i = 0; i < threads; i++) {
		const union MHD_DaemonInfo *info;

		m->daemons[i] = mock_daemon_start(m, cfg, flags, (uint16_t)(i ? m->port : cfg->port), ss, 0, 1);
		if (!m->daemons[i] || !(info = MHD_get_daemon_info(m->daemons[i], MHD_DAEMON_INFO_EPOLL_FD))) {
			snprintf(why, size, "cannot listen on %s:%u (in use, or not an address of this machine)",
				 cfg->host, i ? m->port : cfg->port);
			free(hosts);
			return -1;
		}
		m->nr_daemons++;
		m->daemon = m->daemons[0];
		hosts[i].fd = info->epoll_fd;
		hosts[i].run = daemon_run;
		hosts[i].timeout_ms = daemon_timeout;
		hosts[i].arg = m->daemons[i];
		if (!i) {
			info = MHD_get_daemon_info(m->daemons[0], MHD_DAEMON_INFO_BIND_PORT);
			m->port = info ? info->port : cfg->port;
		}
	}
	m->daemon = m->daemons[0];
	uc.threads = threads;
	uc.hosts = hosts;
	m->up = upstream_start(&uc, why, size);
	free(hosts);
	return m->up ? 0 : -1;
}

