/*
 * The upstream's worker threads (upstream.h): each owns a curl multi
 * handle and runs every transfer handed to it. The server side talks to a
 * worker only through a transfer's lock and a command queue (add, cancel,
 * unpause), with an eventfd to be heard at once. The loop is curl's socket
 * interface on one epoll set, which also holds the server's own
 * descriptor: only what is ready is touched. One transfer is transfer.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "upstream_int.h"

__thread struct worker *upstream_self;

int64_t upstream_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *upstream_failure_name(enum upstream_failure f)
{
	static const char *const names[] = {
		"", "unreachable", "tls", "timeout", "protocol", "closed", "cancelled", "internal",
	};

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "internal";
}

/* An easy handle to keep, or to clean up when the worker keeps enough. */
void worker_easy_put(struct worker *w, CURL *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&w->qlock);
	if (!w->exited && w->nr_spare < EASY_SPARES) {
		w->spare[w->nr_spare++] = e;
		e = NULL;
	}
	pthread_mutex_unlock(&w->qlock);
	if (e)
		curl_easy_cleanup(e);
}

CURL *worker_easy_get(struct worker *w)
{
	CURL *e = NULL;

	pthread_mutex_lock(&w->qlock);
	if (w->nr_spare)
		e = w->spare[--w->nr_spare];
	pthread_mutex_unlock(&w->qlock);
	if (e) {
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void wake_worker(struct worker *w)
{
	uint64_t one = 1;
	ssize_t n = write(w->wake_fd, &one, sizeof(one));

	(void)n; /* EAGAIN: the counter is set already, and it wakes the loop */
}

/* Hand a command to the transfer's worker. */
void worker_post(struct transfer *t, unsigned cmd)
{
	struct worker *w = t->w;

	pthread_mutex_lock(&w->qlock);
	if (w->exited) { /* stopped: a new transfer ends at once */
		pthread_mutex_unlock(&w->qlock);
		if (cmd & CMD_ADD) {
			pthread_mutex_lock(&t->lock);
			transfer_fail(t, UPF_INTERNAL, "the proxy is stopping");
			pthread_mutex_unlock(&t->lock);
			worker_finish(w, t, CURLE_OK);
		}
		return;
	}
	t->pending |= cmd;
	if (!t->queued) {
		t->queued = 1;
		atomic_fetch_add(&t->refs, 1);
		t->qnext = w->queue;
		w->queue = t;
	}
	pthread_mutex_unlock(&w->qlock);
	if (upstream_self != w) /* its own thread runs the commands after the server's turn */
		wake_worker(w);
}
static enum upstream_failure failure_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return UPF_NONE;
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_PROXY:
		return UPF_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
		return UPF_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
		return UPF_TLS;
	case CURLE_GOT_NOTHING: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_PARTIAL_FILE:
		return UPF_CLOSED;
	case CURLE_OUT_OF_MEMORY: case CURLE_ABORTED_BY_CALLBACK:
		return UPF_INTERNAL;
	default:
		return UPF_PROTOCOL;
	}
}

/* The transfer is over on the curl side: out of the multi, the server
 * side told, the worker's reference dropped. */
void worker_finish(struct worker *w, struct transfer *t, CURLcode rc)
{
	if (t->active) {
		curl_multi_remove_handle(w->multi, t->easy);
		if (t->aprev) t->aprev->anext = t->anext;
		else w->active = t->anext;
		if (t->anext) t->anext->aprev = t->aprev;
		t->active = 0;
	}
	pthread_mutex_lock(&t->lock);
	if (!t->done) {
		t->done = 1;
		if (rc != CURLE_OK) {
			const char *what = t->err[0] ? t->err : curl_easy_strerror(rc);

			transfer_fail(t, failure_of(rc), "%s", what);
		} else if (!t->head_done) {
			transfer_fail(t, UPF_PROTOCOL, "the upstream ended without a response");
		}
		transfer_wake(t);
	}
	pthread_mutex_unlock(&t->lock);
	transfer_unref(t);
}

static void run_commands(struct worker *w)
{
	struct transfer *list, *t, *next;

	pthread_mutex_lock(&w->qlock);
	list = w->queue;
	w->queue = NULL;
	pthread_mutex_unlock(&w->qlock);
	for (t = list; t; t = next) {
		unsigned cmd;
		int mask = 0;

		pthread_mutex_lock(&w->qlock);
		next = t->qnext;
		cmd = t->pending;
		t->pending = 0;
		t->queued = 0;
		pthread_mutex_unlock(&w->qlock);
		if ((cmd & CMD_ADD) && !t->done) {
			if (curl_multi_add_handle(w->multi, t->easy) != CURLM_OK) {
				worker_finish(w, t, CURLE_OUT_OF_MEMORY);
			} else {
				t->active = 1;
				t->aprev = NULL;
				t->anext = w->active;
				if (w->active) w->active->aprev = t;
				w->active = t;
			}
		}
		if ((cmd & CMD_CANCEL) && t->active) {
			pthread_mutex_lock(&t->lock);
			transfer_fail(t, UPF_CANCELLED, "the client went away");
			pthread_mutex_unlock(&t->lock);
			worker_finish(w, t, CURLE_OK);
		} else if ((cmd & CMD_UNPAUSE) && t->active) {
			pthread_mutex_lock(&t->lock);
			mask = (t->read_paused ? CURLPAUSE_SEND : 0) | (t->write_paused ? CURLPAUSE_RECV : 0);
			pthread_mutex_unlock(&t->lock);
			curl_easy_pause(t->easy, mask); /* may call on_write: no lock held */
		}
		transfer_unref(t); /* the queue's reference */
	}
}

/* A transfer that waits on the upstream too long ends as a timeout. */
static void check_timeouts(struct worker *w)
{
	int64_t now = upstream_now_us(), limit = (int64_t)w->up->timeout_ms * 1000;
	struct transfer *t, *next;

	for (t = w->active; t; t = next) {
		int late;

		next = t->anext;
		pthread_mutex_lock(&t->lock);
		late = !t->read_paused && !t->write_paused &&
		       now - (t->head_done ? t->last_us : t->started_us) > limit;
		if (late)
			transfer_fail(t, UPF_TIMEOUT, "%s from the upstream in %ld ms",
			     t->head_done ? "no byte" : "no response head", w->up->timeout_ms);
		pthread_mutex_unlock(&t->lock);
		if (late)
			worker_finish(w, t, CURLE_OK);
	}
}

static void read_info(struct worker *w)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(w->multi, &left))) {
		if (msg->msg == CURLMSG_DONE) {
			struct transfer *t = NULL;

			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			if (t)
				worker_finish(w, t, msg->data.result);
		}
	}
}

/* Room for descriptor fd in the worker's tables. */
static int fd_room(struct worker *w, curl_socket_t fd)
{
	size_t n = w->nr_fds ? w->nr_fds : 1024;
	unsigned char *a, *b;

	if (fd < 0)
		return -1;
	if ((size_t)fd < w->nr_fds)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	if (!(a = realloc(w->watched, n)))
		return -1;
	w->watched = a;
	if (!(b = realloc(w->wanted, n)))
		return -1;
	w->wanted = b;
	memset(a + w->nr_fds, 0, n - w->nr_fds);
	memset(b + w->nr_fds, 0, n - w->nr_fds);
	w->nr_fds = n;
	return 0;
}

/*
 * curl's socket interface: watch what it asks for. A connection curl puts
 * back in its cache stays registered (it is asked for again by the next
 * transfer, usually at once): an event on it while nobody wants it takes it
 * out then. One epoll_ctl per transfer fewer, or two.
 */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct worker *w = arg;
	struct epoll_event ev = { 0 };
	unsigned char want;

	(void)e; (void)sockp;
	if (fd_room(w, fd))
		return -1;
	if (what == CURL_POLL_REMOVE) {
		w->wanted[fd] = 0;
		return 0;
	}
	want = (what & CURL_POLL_IN ? 1 : 0) | (what & CURL_POLL_OUT ? 2 : 0);
	w->wanted[fd] = want;
	if (w->watched[fd] == want)
		return 0;
	ev.data.fd = fd;
	ev.events = (want & 1 ? EPOLLIN : 0) | (want & 2 ? EPOLLOUT : 0);
	if (w->watched[fd] ? epoll_ctl(w->ep, EPOLL_CTL_MOD, fd, &ev) && (errno != ENOENT ||
			     epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev))
			   : epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) && (errno != EEXIST ||
			     epoll_ctl(w->ep, EPOLL_CTL_MOD, fd, &ev)))
		return -1; /* the descriptor was closed and its number not yet reused */
	w->watched[fd] = want;
	return 0;
}

static int on_timer(CURLM *multi, long ms, void *arg)
{
	struct worker *w = arg;

	(void)multi;
	w->curl_due = ms < 0 ? -1 : upstream_now_us() + ms * 1000;
	return 0;
}

static void socket_action(struct worker *w, curl_socket_t fd, int mask)
{
	int running;

	curl_multi_socket_action(w->multi, fd, mask, &running);
	read_info(w);
}

/* The loop: the server's turn, the commands, curl's timers, then wait for
 * whichever descriptor is ready. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t last_check = 0;
	int host_turn = 1;

	upstream_self = w;
	while (!atomic_load(&w->stop)) {
		struct epoll_event ev[64];
		long wait = 100, t;
		int n, i;

		/* The server's turn, twice: libmicrohttpd serves a connection
		 * resumed in one run (by a transfer here, or by the timer
		 * thread) only in the next, and does not say so. */
		if (host_turn && w->host.fd >= 0) {
			w->host.run(w->host.arg);
			w->host.run(w->host.arg);
		}
		run_commands(w);
		if (w->curl_due >= 0 && upstream_now_us() >= w->curl_due) {
			w->curl_due = -1;
			socket_action(w, CURL_SOCKET_TIMEOUT, 0);
		}
		if (upstream_now_us() - last_check > 100000) {
			check_timeouts(w);
			last_check = upstream_now_us();
		}
		if (w->curl_due >= 0 && (t = (long)((w->curl_due - upstream_now_us() + 999) / 1000)) < wait)
			wait = t < 0 ? 0 : t;
		host_turn = 0;
		if (w->host.fd >= 0 && (t = w->host.timeout_ms(w->host.arg)) >= 0 && t <= wait) {
			wait = t;
			host_turn = 1; /* its timeout comes first */
		}
		if (w->host_kick)
			wait = 0;
		n = epoll_wait(w->ep, ev, 64, (int)wait);
		if (n <= 0)
			host_turn = 1; /* a quiet spell: the server's turn anyway */
		for (i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == w->host.fd) {
				host_turn = 1;
			} else if (fd == w->wake_fd) {
				uint64_t v;

				if (read(fd, &v, sizeof(v)) < 0)
					continue;
			} else if ((size_t)fd < w->nr_fds && !w->wanted[fd]) { /* in curl's cache */
				epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
				w->watched[fd] = 0;
			} else {
				socket_action(w, fd, (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
						     (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
						     (ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0));
			}
		}
		if (w->host_kick || atomic_exchange(&w->remote_kick, 0)) {
			w->host_kick = 0;
			host_turn = 1;
		}
	}
	run_commands(w);
	pthread_mutex_lock(&w->qlock);
	w->exited = 1;
	pthread_mutex_unlock(&w->qlock);
	run_commands(w);
	while (w->active) {
		pthread_mutex_lock(&w->active->lock);
		transfer_fail(w->active, UPF_INTERNAL, "the proxy is stopping");
		pthread_mutex_unlock(&w->active->lock);
		worker_finish(w, w->active, CURLE_OK);
	}
	return NULL;
}

/* The worker's epoll set: the wake eventfd and the server's descriptor. */
static int worker_init(struct worker *w)
{
	struct epoll_event ev = { 0 };

	w->curl_due = -1;
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -1;
	ev.events = EPOLLIN;
	ev.data.fd = w->wake_fd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake_fd, &ev))
		return -1;
	if (w->host.fd >= 0) {
		ev.data.fd = w->host.fd;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->host.fd, &ev))
			return -1;
	}
	curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, 1024L); /* no churn under load */
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	return 0;
}

void upstream_kick(struct upstream *up)
{
	unsigned i;

	for (i = 0; i < up->nr; i++) {
		atomic_store(&up->w[i].remote_kick, 1);
		wake_worker(&up->w[i]);
	}
}

struct upstream *upstream_start(const struct upstream_config *cfg, char *why, size_t size)
{
	struct upstream *up = calloc(1, sizeof(*up));
	unsigned i, n = cfg->threads ? cfg->threads : 1;

	if (!up || !(up->url = strdup(cfg->url)) ||
	    (cfg->ca_file && !(up->ca_file = strdup(cfg->ca_file))) ||
	    !(up->w = calloc(n, sizeof(*up->w)))) {
		snprintf(why, size, "out of memory");
		upstream_free(up);
		return NULL;
	}
	up->insecure = cfg->insecure;
	up->connect_ms = cfg->connect_ms > 0 ? cfg->connect_ms : 10000;
	up->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000;
	for (i = 0; i < n; i++, up->nr++) {
		struct worker *w = &up->w[i];

		w->up = up;
		w->host.fd = -1;
		w->ep = w->wake_fd = -1;
		if (cfg->hosts)
			w->host = cfg->hosts[i];
		pthread_mutex_init(&w->qlock, NULL);
		if (!(w->multi = curl_multi_init()) || worker_init(w) ||
		    pthread_create(&w->thread, NULL, worker_main, w)) {
			snprintf(why, size, "cannot start the upstream threads");
			up->nr++;
			upstream_free(up);
			return NULL;
		}
		w->started = 1;
	}
	return up;
}

void upstream_stop(struct upstream *up)
{
	unsigned i;

	if (!up)
		return;
	for (i = 0; i < up->nr; i++) {
		struct worker *w = &up->w[i];

		atomic_store(&w->stop, 1);
		if (w->wake_fd >= 0)
			wake_worker(w);
		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = 0;
		pthread_mutex_lock(&w->qlock);
		w->exited = 1;
		pthread_mutex_unlock(&w->qlock);
	}
}

void upstream_free(struct upstream *up)
{
	unsigned i;

	if (!up)
		return;
	upstream_stop(up);
	for (i = 0; i < up->nr; i++) {
		struct worker *w = &up->w[i];

		while (w->nr_spare)
			curl_easy_cleanup(w->spare[--w->nr_spare]);
		free(w->watched);
		free(w->wanted);
		if (w->multi)
			curl_multi_cleanup(w->multi);
		if (w->ep >= 0)
			close(w->ep);
		if (w->wake_fd >= 0)
			close(w->wake_fd);
		pthread_mutex_destroy(&w->qlock);
	}
	free(up->w);
	free(up->url);
	free(up->ca_file);
	free(up);
}

const char *upstream_url(const struct upstream *up)
{
	return up->url;
}

long upstream_timeout_ms(const struct upstream *up)
{
	return up->timeout_ms;
}
