/*
 * The upstream transfers (upstream.h): each worker thread owns a curl
 * multi handle and runs every transfer handed to it. The server side talks
 * to a worker only through a transfer's lock and a command queue
 * (add, cancel, unpause), with an eventfd to be heard at once. The loop
 * is curl's socket interface on one epoll set, which also holds the
 * server's own descriptor: only what is ready is touched.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "upstream.h"

enum { CMD_ADD = 1, CMD_CANCEL = 2, CMD_UNPAUSE = 4 };

#define EASY_SPARES 256   /* curl_easy_init is dear: handles are reset and reused */

struct worker {
	struct upstream *up;
	pthread_t thread;
	int started;
	CURLM *multi;
	pthread_mutex_t qlock;
	struct transfer *queue;      /* commands, under qlock */
	struct transfer *active;     /* the worker's own list */
	atomic_int stop;
	int exited;                  /* under qlock: commands are no longer taken */
	struct upstream_host host;   /* fd -1: none */
	int ep, wake_fd;             /* the loop's epoll set; commands from other threads */
	CURL *spare[EASY_SPARES];    /* easy handles kept for the next transfers (qlock) */
	unsigned nr_spare;
	int64_t curl_due;            /* when curl wants its timeout action (-1: never) */
	int host_kick;               /* a transfer woke the server side: its turn next */
	atomic_int remote_kick;      /* the same, from another thread */
	unsigned char *watched;      /* per descriptor: the epoll events registered (0: none) */
	unsigned char *wanted;       /* ... and those curl asks for now */
	size_t nr_fds;
};

/* The worker whose thread this is, or NULL. */
static __thread struct worker *self;

struct upstream {
	char *url, *ca_file;
	int insecure;
	long connect_ms, timeout_ms;
	struct worker *w;
	unsigned nr;
	atomic_uint next;
};

struct transfer {
	pthread_mutex_t lock;
	atomic_int refs;
	struct worker *w;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url;
	char err[CURL_ERROR_SIZE];
	/* the request body: [ub_off, ub_off + ub_len) of ub */
	char *ub;
	size_t ub_off, ub_len;
	int ub_end, read_paused;
	/* the response */
	int status, head_done;
	struct upstream_header h[UPSTREAM_MAX_HEADERS];
	size_t nh, head_bytes;
	char *rb;
	size_t rb_off, rb_len, rb_cap;
	int write_paused;
	char *cap;
	size_t cap_len;
	int done, cancelled, waiting;
	enum upstream_failure failure;
	char why[256];
	int64_t started_us, last_us, head_us;
	void (*wake)(void *arg);
	void *arg;
	/* the worker's */
	unsigned pending;            /* CMD_*, under the worker's qlock */
	int queued;
	struct transfer *qnext, *anext, *aprev;
	int active;
};

static int64_t now_us(void)
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

/* Call the server side's wake function if it waits (lock held). */
static void wake(struct transfer *t)
{
	if (t->waiting) {
		t->waiting = 0;
		t->wake(t->arg);
		t->w->host_kick = 1; /* on the worker's thread, or after it stopped */
	}
}

/* Say why it failed, once (lock held). */
static void fail(struct transfer *t, enum upstream_failure f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct transfer *t, enum upstream_failure f, const char *fmt, ...)
{
	va_list ap;

	if (t->failure != UPF_NONE)
		return;
	t->failure = f;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

/* An easy handle to keep, or to clean up when the worker keeps enough. */
static void easy_put(struct worker *w, CURL *e)
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

static CURL *easy_get(struct worker *w)
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

static void transfer_free(struct transfer *t)
{
	size_t i;

	easy_put(t->w, t->easy);
	curl_slist_free_all(t->hdrs);
	for (i = 0; i < t->nh; i++) {
		free(t->h[i].name);
		free(t->h[i].value);
	}
	free(t->url);
	free(t->ub);
	free(t->rb);
	free(t->cap);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void transfer_unref(struct transfer *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		transfer_free(t);
}

static void finish(struct worker *w, struct transfer *t, CURLcode rc);

static void wake_worker(struct worker *w)
{
	uint64_t one = 1;
	ssize_t n = write(w->wake_fd, &one, sizeof(one));

	(void)n; /* EAGAIN: the counter is set already, and it wakes the loop */
}

/* Hand a command to the transfer's worker. */
static void post(struct transfer *t, unsigned cmd)
{
	struct worker *w = t->w;

	pthread_mutex_lock(&w->qlock);
	if (w->exited) { /* stopped: a new transfer ends at once */
		pthread_mutex_unlock(&w->qlock);
		if (cmd & CMD_ADD) {
			pthread_mutex_lock(&t->lock);
			fail(t, UPF_INTERNAL, "the proxy is stopping");
			pthread_mutex_unlock(&t->lock);
			finish(w, t, CURLE_OK);
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
	if (self != w) /* its own thread runs the commands after the server's turn */
		wake_worker(w);
}

/* --- curl's callbacks, on the worker thread --- */

static void clear_headers(struct transfer *t)
{
	size_t i;

	for (i = 0; i < t->nh; i++) {
		free(t->h[i].name);
		free(t->h[i].value);
	}
	t->nh = 0;
	t->head_bytes = 0;
}

int upstream_header_split(const char *b, size_t len, size_t *name_len, const char **value, size_t *value_len)
{
	const char *colon = memchr(b, ':', len), *v, *end = b + len;

	while (end > b && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (!colon || colon == b || colon >= end || b[0] == ' ' || b[0] == '\t' ||
	    memchr(b, '\0', len) || memchr(b, '\r', (size_t)(end - b)) || memchr(b, '\n', (size_t)(end - b)))
		return -1;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	*name_len = (size_t)(colon - b);
	*value = v;
	*value_len = (size_t)(end - v);
	return 0;
}

static int add_header(struct transfer *t, const char *b, size_t len)
{
	size_t nl, vl;
	const char *v;

	if (upstream_header_split(b, len, &nl, &v, &vl))
		return 0; /* a folded or broken line: not a header to pass on */
	if (t->nh == UPSTREAM_MAX_HEADERS || t->head_bytes + len > UPSTREAM_HEAD_MAX) {
		fail(t, UPF_PROTOCOL, "the upstream sent more than %d headers or %d header bytes",
		     UPSTREAM_MAX_HEADERS, UPSTREAM_HEAD_MAX);
		return -1;
	}
	if (!(t->h[t->nh].name = strndup(b, nl)) || !(t->h[t->nh].value = strndup(v, vl))) {
		free(t->h[t->nh].name);
		fail(t, UPF_INTERNAL, "out of memory");
		return -1;
	}
	t->nh++;
	t->head_bytes += len;
	return 0;
}

static size_t on_header(char *b, size_t size, size_t n, void *p)
{
	struct transfer *t = p;
	size_t len = size * n;
	int ok = 0;

	pthread_mutex_lock(&t->lock);
	t->last_us = now_us();
	if (t->cancelled || t->head_done) {
		ok = !t->cancelled; /* trailers are not passed on */
	} else if (len >= 5 && !memcmp(b, "HTTP/", 5)) {
		const char *sp = memchr(b, ' ', len);

		clear_headers(t);
		t->status = sp ? atoi(sp + 1) : 0;
		ok = 1;
	} else if (len <= 2 && (b[0] == '\r' || b[0] == '\n')) {
		if (t->status >= 200) {
			t->head_done = 1;
			t->head_us = t->last_us;
			wake(t);
		}
		ok = 1;
	} else {
		ok = !add_header(t, b, len);
	}
	pthread_mutex_unlock(&t->lock);
	return ok ? len : 0;
}

static size_t on_write(char *b, size_t size, size_t n, void *p)
{
	struct transfer *t = p;
	size_t len = size * n;

	pthread_mutex_lock(&t->lock);
	if (t->cancelled) {
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	t->last_us = now_us();
	if (len > t->rb_cap - t->rb_len && t->rb_cap < UPSTREAM_BUF) {
		/* small first (most answers are), up to UPSTREAM_BUF */
		size_t cap = t->rb_cap ? t->rb_cap : 4096;
		char *nb;

		while (cap < UPSTREAM_BUF && cap - t->rb_len < len)
			cap *= 2;
		if (!(nb = malloc(cap))) {
			fail(t, UPF_INTERNAL, "out of memory");
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
		if (t->rb_len)
			memcpy(nb, t->rb + t->rb_off, t->rb_len);
		free(t->rb);
		t->rb = nb;
		t->rb_off = 0;
		t->rb_cap = cap;
	}
	if (len > t->rb_cap - t->rb_len) {
		if (t->rb_len) { /* the client has not taken what it has: wait for it */
			t->write_paused = 1;
			pthread_mutex_unlock(&t->lock);
			return CURL_WRITEFUNC_PAUSE;
		}
		free(t->rb); /* one delivery larger than the buffer: take it whole */
		t->rb_off = 0;
		t->rb_cap = len;
		if (!(t->rb = malloc(len))) {
			fail(t, UPF_INTERNAL, "out of memory");
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
	}
	if (t->rb_off + t->rb_len + len > t->rb_cap) {
		memmove(t->rb, t->rb + t->rb_off, t->rb_len);
		t->rb_off = 0;
	}
	memcpy(t->rb + t->rb_off + t->rb_len, b, len);
	t->rb_len += len;
	if (t->status >= 400 && t->cap_len < UPSTREAM_CAPTURE_MAX) { /* sized as it comes */
		size_t k = UPSTREAM_CAPTURE_MAX - t->cap_len < len ? UPSTREAM_CAPTURE_MAX - t->cap_len : len;
		char *nc = realloc(t->cap, t->cap_len + k);

		if (nc) {
			t->cap = nc;
			memcpy(t->cap + t->cap_len, b, k);
			t->cap_len += k;
		}
	}
	wake(t);
	pthread_mutex_unlock(&t->lock);
	return len;
}

static size_t on_read(char *out, size_t size, size_t n, void *p)
{
	struct transfer *t = p;
	size_t max = size * n, k;

	pthread_mutex_lock(&t->lock);
	if (t->cancelled) {
		pthread_mutex_unlock(&t->lock);
		return CURL_READFUNC_ABORT;
	}
	if (!t->ub_len) {
		if (t->ub_end) {
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
		t->read_paused = 1;
		pthread_mutex_unlock(&t->lock);
		return CURL_READFUNC_PAUSE;
	}
	k = t->ub_len < max ? t->ub_len : max;
	memcpy(out, t->ub + t->ub_off, k);
	t->ub_off += k;
	t->ub_len -= k;
	if (!t->ub_len)
		t->ub_off = 0;
	t->last_us = now_us();
	wake(t); /* room for more */
	pthread_mutex_unlock(&t->lock);
	return k;
}

/* --- the worker --- */

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
static void finish(struct worker *w, struct transfer *t, CURLcode rc)
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

			fail(t, failure_of(rc), "%s", what);
		} else if (!t->head_done) {
			fail(t, UPF_PROTOCOL, "the upstream ended without a response");
		}
		wake(t);
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
				finish(w, t, CURLE_OUT_OF_MEMORY);
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
			fail(t, UPF_CANCELLED, "the client went away");
			pthread_mutex_unlock(&t->lock);
			finish(w, t, CURLE_OK);
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
	int64_t now = now_us(), limit = (int64_t)w->up->timeout_ms * 1000;
	struct transfer *t, *next;

	for (t = w->active; t; t = next) {
		int late;

		next = t->anext;
		pthread_mutex_lock(&t->lock);
		late = !t->read_paused && !t->write_paused &&
		       now - (t->head_done ? t->last_us : t->started_us) > limit;
		if (late)
			fail(t, UPF_TIMEOUT, "%s from the upstream in %ld ms",
			     t->head_done ? "no byte" : "no response head", w->up->timeout_ms);
		pthread_mutex_unlock(&t->lock);
		if (late)
			finish(w, t, CURLE_OK);
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
				finish(w, t, msg->data.result);
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
	w->curl_due = ms < 0 ? -1 : now_us() + ms * 1000;
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

	self = w;
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
		if (w->curl_due >= 0 && now_us() >= w->curl_due) {
			w->curl_due = -1;
			socket_action(w, CURL_SOCKET_TIMEOUT, 0);
		}
		if (now_us() - last_check > 100000) {
			check_timeouts(w);
			last_check = now_us();
		}
		if (w->curl_due >= 0 && (t = (long)((w->curl_due - now_us() + 999) / 1000)) < wait)
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
		fail(w->active, UPF_INTERNAL, "the proxy is stopping");
		pthread_mutex_unlock(&w->active->lock);
		finish(w, w->active, CURLE_OK);
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

static int setup(struct transfer *t, struct upstream *up, const struct transfer_request *rq)
{
	CURL *e = t->easy;
	size_t i, n = strlen(up->url);
	const char *target = rq->target;

	if (n && up->url[n - 1] == '/' && target[0] == '/')
		target++;
	if (!(t->url = malloc(n + strlen(target) + 1)))
		return -1;
	memcpy(t->url, up->url, n);
	strcpy(t->url + n, target);
	for (i = 0; i < rq->nr_headers; i++)
		if (!(t->hdrs = curl_slist_append(t->hdrs, rq->headers[i])))
			return -1;
	if (!(t->hdrs = curl_slist_append(t->hdrs, "Expect:")))
		return -1;
	if (rq->has_body && rq->body_size < 0 &&
	    !(t->hdrs = curl_slist_append(t->hdrs, "Transfer-Encoding: chunked")))
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, t->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->hdrs);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->err);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, up->connect_ms);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	if (up->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, up->ca_file);
	if (up->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!strcmp(rq->method, "HEAD"))
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "GET") || rq->has_body)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->has_body) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, t);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_size);
		if (!(t->ub = malloc(UPSTREAM_BUF)))
			return -1;
	}
	return 0;
}

struct transfer *transfer_new(struct upstream *up, const struct transfer_request *rq)
{
	struct transfer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	atomic_init(&t->refs, 2);
	t->w = self && self->up == up ? self : &up->w[atomic_fetch_add(&up->next, 1) % up->nr];
	t->wake = rq->wake;
	t->arg = rq->arg;
	t->started_us = t->last_us = now_us();
	if (!(t->easy = easy_get(t->w)) || setup(t, up, rq)) {
		transfer_free(t);
		return NULL;
	}
	post(t, CMD_ADD);
	return t;
}

size_t transfer_push(struct transfer *t, const char *data, size_t len,
		     void (*wait)(void *), void *arg)
{
	size_t room, k;
	int unpause;

	pthread_mutex_lock(&t->lock);
	if (t->done || !t->ub) { /* nobody reads it any more: drop it */
		pthread_mutex_unlock(&t->lock);
		return len;
	}
	room = UPSTREAM_BUF - t->ub_len;
	if (!room) {
		if (wait) {
			t->waiting = 1;
			wait(arg);
		}
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	k = len < room ? len : room;
	if (t->ub_off + t->ub_len + k > UPSTREAM_BUF) {
		memmove(t->ub, t->ub + t->ub_off, t->ub_len);
		t->ub_off = 0;
	}
	memcpy(t->ub + t->ub_off + t->ub_len, data, k);
	t->ub_len += k;
	unpause = t->read_paused;
	t->read_paused = 0;
	pthread_mutex_unlock(&t->lock);
	if (unpause)
		post(t, CMD_UNPAUSE);
	return k;
}

void transfer_push_end(struct transfer *t)
{
	int unpause;

	pthread_mutex_lock(&t->lock);
	t->ub_end = 1;
	unpause = t->read_paused;
	t->read_paused = 0;
	pthread_mutex_unlock(&t->lock);
	if (unpause)
		post(t, CMD_UNPAUSE);
}

enum transfer_state transfer_head(struct transfer *t, void (*wait)(void *), void *arg)
{
	enum transfer_state s;

	pthread_mutex_lock(&t->lock);
	if (t->head_done)
		s = TS_HEAD;
	else if (t->done)
		s = TS_FAILED;
	else {
		s = TS_PENDING;
		t->waiting = 1;
		wait(arg);
	}
	pthread_mutex_unlock(&t->lock);
	return s;
}

const char *transfer_body_whole(struct transfer *t, size_t *len)
{
	const char *b = NULL;

	pthread_mutex_lock(&t->lock);
	if (t->done && t->failure == UPF_NONE && !t->write_paused) {
		b = t->rb ? t->rb + t->rb_off : "";
		*len = t->rb_len;
		t->rb_off += t->rb_len; /* taken */
		t->rb_len = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return b;
}

int transfer_status(const struct transfer *t)
{
	return t->status;
}

const struct upstream_header *transfer_headers(const struct transfer *t, size_t *n)
{
	*n = t->nh;
	return t->h;
}

long transfer_read(struct transfer *t, char *out, size_t max, int *failed,
		   void (*wait)(void *), void *arg)
{
	long k;
	int unpause = 0;

	*failed = 0;
	pthread_mutex_lock(&t->lock);
	if (t->rb_len) {
		k = (long)(t->rb_len < max ? t->rb_len : max);
		memcpy(out, t->rb + t->rb_off, (size_t)k);
		t->rb_off += (size_t)k;
		t->rb_len -= (size_t)k;
		if (!t->rb_len)
			t->rb_off = 0;
		unpause = t->write_paused;
		t->write_paused = 0;
	} else if (t->done) {
		k = 0;
		*failed = t->failure != UPF_NONE;
	} else {
		k = -2;
		t->waiting = 1;
		wait(arg);
	}
	pthread_mutex_unlock(&t->lock);
	if (unpause)
		post(t, CMD_UNPAUSE);
	return k;
}

void transfer_cancel(struct transfer *t)
{
	int done;

	pthread_mutex_lock(&t->lock);
	done = t->done;
	t->cancelled = 1;
	t->waiting = 0;
	pthread_mutex_unlock(&t->lock);
	if (!done)
		post(t, CMD_CANCEL);
}

enum upstream_failure transfer_failure(struct transfer *t, char *why, size_t size)
{
	enum upstream_failure f;

	pthread_mutex_lock(&t->lock);
	f = t->failure;
	if (why)
		snprintf(why, size, "%s", t->why);
	pthread_mutex_unlock(&t->lock);
	return f;
}

const char *transfer_capture(const struct transfer *t, size_t *len)
{
	*len = t->cap_len;
	return t->cap;
}

int64_t transfer_head_us(const struct transfer *t)
{
	return t->head_us;
}
