/*
 * One upstream transfer (upstream.h): curl's callbacks on the worker's
 * thread, and the server side's calls, meeting under the transfer's lock
 * in two small buffers, one each way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upstream_int.h"
#include "../model/sse.h"

/* Call the server side's wake function if it waits (lock held). */
void transfer_wake(struct transfer *t)
{
	if (t->waiting) {
		t->waiting = 0;
		t->wake(t->arg);
		t->w->host_kick = 1; /* on the worker's thread, or after it stopped */
	}
}

/* Say why it failed, once (lock held). */
void transfer_fail(struct transfer *t, enum upstream_failure f, const char *fmt, ...)
{
	va_list ap;

	if (t->failure != UPF_NONE)
		return;
	t->failure = f;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

static void transfer_free(struct transfer *t)
{
	size_t i;

	worker_easy_put(t->w, t->easy);
	curl_slist_free_all(t->hdrs);
	for (i = 0; i < t->nh; i++) {
		free(t->h[i].name);
		free(t->h[i].value);
	}
	free(t->url);
	free(t->ub);
	free(t->rb);
	free(t->cap);
	if (t->sse)
		sse_release(t->sse);
	free(t->sse);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void transfer_unref(struct transfer *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1)
		transfer_free(t);
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
		transfer_fail(t, UPF_PROTOCOL, "the upstream sent more than %d headers or %d header bytes",
		     UPSTREAM_MAX_HEADERS, UPSTREAM_HEAD_MAX);
		return -1;
	}
	if (!(t->h[t->nh].name = strndup(b, nl)) || !(t->h[t->nh].value = strndup(v, vl))) {
		free(t->h[t->nh].name);
		transfer_fail(t, UPF_INTERNAL, "out of memory");
		return -1;
	}
	t->nh++;
	t->head_bytes += len;
	return 0;
}

/* A 2xx event stream, where the server side asked: read it as it passes. */
static void watch_events(struct transfer *t)
{
	size_t i;

	if (!t->is_error_event || t->status >= 300)
		return;
	for (i = 0; i < t->nh; i++)
		if (!strcasecmp(t->h[i].name, "Content-Type") && strcasestr(t->h[i].value, "text/event-stream") &&
		    (t->sse = malloc(sizeof(*t->sse))))
			sse_init(t->sse, UPSTREAM_CAPTURE_MAX);
}

/* The first error event of a stream, kept as a stream of one event. */
static int keep_error_event(void *ctx, const struct sse_event *ev)
{
	struct transfer *t = ctx;

	if (!t->is_error_event(t->event_ctx, ev->event, ev->data, ev->data_len))
		return 0;
	free(t->cap);
	t->cap = sse_write(ev->event, ev->data, ev->data_len, &t->cap_len);
	t->event_kept = t->cap != NULL;
	return 1;
}

static size_t on_header(char *b, size_t size, size_t n, void *p)
{
	struct transfer *t = p;
	size_t len = size * n;
	int ok = 0;

	pthread_mutex_lock(&t->lock);
	t->last_us = upstream_now_us();
	if (t->cancelled || t->head_done) {
		ok = !t->cancelled; /* trailers are not passed on */
	} else if (len >= 5 && !memcmp(b, "HTTP/", 5)) {
		const char *sp = memchr(b, ' ', len);

		clear_headers(t);
		t->status = sp ? atoi(sp + 1) : 0;
		ok = 1;
	} else if (len <= 2 && (b[0] == '\r' || b[0] == '\n')) {
		if (t->status >= 200) {
			watch_events(t);
			t->head_done = 1;
			t->head_us = t->last_us;
			transfer_wake(t);
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
	t->last_us = upstream_now_us();
	if (len > t->rb_cap - t->rb_len && t->rb_cap < UPSTREAM_BUF) {
		/* small first (most answers are), up to UPSTREAM_BUF */
		size_t cap = t->rb_cap ? t->rb_cap : 4096;
		char *nb;

		while (cap < UPSTREAM_BUF && cap - t->rb_len < len)
			cap *= 2;
		if (!(nb = malloc(cap))) {
			transfer_fail(t, UPF_INTERNAL, "out of memory");
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
			transfer_fail(t, UPF_INTERNAL, "out of memory");
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
	if (t->sse && !t->event_kept && sse_feed(t->sse, b, len, keep_error_event, t) < 0) {
		sse_release(t->sse); /* out of memory: the stream passes unread */
		free(t->sse);
		t->sse = NULL;
	}
	if (t->status >= 400 && !t->cap_cut) { /* sized as it comes */
		size_t k = UPSTREAM_CAPTURE_MAX - t->cap_len < len ? UPSTREAM_CAPTURE_MAX - t->cap_len : len;
		char *nc = k ? realloc(t->cap, t->cap_len + k) : NULL;

		if (nc) {
			t->cap = nc;
			memcpy(t->cap + t->cap_len, b, k);
			t->cap_len += k;
		}
		if (!nc || k < len)
			t->cap_cut = 1; /* not whole: it will not be judged */
	}
	transfer_wake(t);
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
	t->last_us = upstream_now_us();
	transfer_wake(t); /* room for more */
	pthread_mutex_unlock(&t->lock);
	return k;
}

/* --- the worker --- */
static int setup(struct transfer *t, struct upstream *up, const struct transfer_request *rq)
{
	CURL *e = t->easy;
	size_t i;

	if (!(t->url = strdup(rq->url)))
		return -1;
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
	t->w = upstream_self && upstream_self->up == up ? upstream_self : &up->w[atomic_fetch_add(&up->next, 1) % up->nr];
	t->wake = rq->wake;
	t->is_error_event = rq->is_error_event;
	t->event_ctx = rq->event_ctx;
	t->arg = rq->arg;
	t->started_us = t->last_us = upstream_now_us();
	if (!(t->easy = worker_easy_get(t->w)) || setup(t, up, rq)) {
		transfer_free(t);
		return NULL;
	}
	worker_post(t, CMD_ADD);
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
		worker_post(t, CMD_UNPAUSE);
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
		worker_post(t, CMD_UNPAUSE);
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
		worker_post(t, CMD_UNPAUSE);
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
		worker_post(t, CMD_CANCEL);
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

const char *transfer_capture(const struct transfer *t, size_t *len, int *cut)
{
	*len = t->cap_len;
	*cut = t->cap_cut;
	return t->cap;
}

int transfer_event_kept(const struct transfer *t)
{
	return t->event_kept;
}

int64_t transfer_head_us(const struct transfer *t)
{
	return t->head_us;
}
