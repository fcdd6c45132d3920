/*
 * The journal as JSON text, written straight from a view's entries (no
 * intermediate tree), one entry at a time: a large journal goes out in
 * pieces between other requests, and costs what it returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "../model/utf8.h"

/* The pending text of the view: appended to, then handed out. */
static int grow(struct journal_view *v, size_t more)
{
	size_t want = v->pend_len + more;
	char *p;

	if (want <= v->pend_cap)
		return 0;
	want = want < 4096 ? 4096 : want * 2;
	if (!(p = realloc(v->pend, want)))
		return -1;
	v->pend = p;
	v->pend_cap = want;
	return 0;
}

static int put(struct journal_view *v, const char *s, size_t n)
{
	if (grow(v, n))
		return -1;
	memcpy(v->pend + v->pend_len, s, n);
	v->pend_len += n;
	return 0;
}

static int putf(struct journal_view *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int putf(struct journal_view *v, const char *fmt, ...)
{
	char b[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= sizeof(b) ? -1 : put(v, b, (size_t)n);
}

/* Which members had bytes that are not UTF-8 (see utf8_escape). */
enum { ESC_METHOD, ESC_PATH, ESC_HEADERS, ESC_QUERY, ESC_CONTRACT, ESC_CODE, ESC_KEY,
       ESC_SCENARIO, ESC_FAULT, ESC_RETRY_AFTER, ESC_WAIT, ESC_UPSTREAM, ESC_CONFORMANCE,
       ESC_STREAM, ESC_REPLICA, ESC_COUNT };
static const char *const esc_name[ESC_COUNT] = {
	"method", "path", "headers", "query", "contract", "code", "idempotency_key",
	"scenario", "fault", "retry_after", "wait", "upstream", "conformance", "stream", "replica"
};

/* A JSON string of valid UTF-8 text t[0..n): quotes, backslashes and
 * control characters escaped, everything else as it is. */
static int put_text(struct journal_view *v, const char *t, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	if (grow(v, n + 2))
		return -1;
	v->pend[v->pend_len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (put(v, t + run, i - run))
			return -1;
		run = i + 1;
		if (c == '"' || c == '\\') {
			e[1] = (char)c;
			if (put(v, e, 2))
				return -1;
		} else if (put(v, e, 6)) {
			return -1;
		}
	}
	return put(v, t + run, n - run) || put(v, "\"", 1) ? -1 : 0;
}

/* A stored string as JSON: as it is when it is UTF-8, else escaped and the
 * member marked in *esc, so that no byte is lost and no two values collide. */
static int put_str(struct journal_view *v, const char *s, int member, unsigned *esc)
{
	size_t n = strlen(s);
	char *t;
	int flag = 0, r;

	if (utf8_valid(s, n))
		return put_text(v, s, n);
	if (!(t = utf8_escape(s, n, &flag)))
		return -1;
	if (flag)
		*esc |= 1u << member;
	r = put_text(v, t, strlen(t));
	free(t);
	return r;
}

/* "name": and the string, or null when it is empty. */
static int put_member(struct journal_view *v, const char *name, const char *s, int member,
		      unsigned *esc)
{
	if (putf(v, ",\"%s\":", name))
		return -1;
	return *s ? put_str(v, s, member, esc) : put(v, "null", 4);
}

static const char *next_str(const char **p)
{
	const char *s = *p;

	*p += strlen(s) + 1;
	return s;
}

/* The query as an object: a name given twice keeps its last value. */
static int put_query(struct journal_view *v, const char *p, unsigned nr, unsigned *esc)
{
	const char *pair[2 * JOURNAL_MAX_PAIRS];
	unsigned i, k, first = 1;

	for (i = 0; i < nr; i++) {
		pair[2 * i] = next_str(&p);
		pair[2 * i + 1] = next_str(&p);
	}
	if (put(v, ",\"query\":{", 10))
		return -1;
	for (i = 0; i < nr; i++) {
		for (k = i + 1; k < nr && strcmp(pair[2 * i], pair[2 * k]); k++)
			;
		if (k < nr)
			continue;
		if ((!first && put(v, ",", 1)) || put_str(v, pair[2 * i], ESC_QUERY, esc) ||
		    put(v, ":", 1) || put_str(v, pair[2 * i + 1], ESC_QUERY, esc))
			return -1;
		first = 0;
	}
	return put(v, "}", 1);
}

/* The members after the query, each in its place. */
static int put_tail(struct journal_view *v, const struct journal_entry *e, const char **f,
		    unsigned *esc)
{
	if (putf(v, ",\"body_size\":%llu,\"body_hash\":\"fnv1a64:%016llx\",\"status\":%d",
		 (unsigned long long)e->body_size, (unsigned long long)e->body_hash, e->status) ||
	    put_member(v, "contract", f[2], ESC_CONTRACT, esc) ||
	    put_member(v, "code", f[3], ESC_CODE, esc) ||
	    put_member(v, "idempotency_key", f[4], ESC_KEY, esc) ||
	    put_member(v, "scenario", f[5], ESC_SCENARIO, esc) ||
	    (e->step >= 0 ? putf(v, ",\"step\":%d", e->step) : put(v, ",\"step\":null", 12)) ||
	    put_member(v, "fault", f[6], ESC_FAULT, esc) ||
	    put_member(v, "retry_after", f[7], ESC_RETRY_AFTER, esc) ||
	    put_member(v, "wait", f[8], ESC_WAIT, esc) ||
	    (*f[9] && put_member(v, "upstream", f[9], ESC_UPSTREAM, esc)) ||
	    (*f[10] && put_member(v, "conformance", f[10], ESC_CONFORMANCE, esc)) ||
	    (*f[11] && put_member(v, "stream", f[11], ESC_STREAM, esc)) ||
	    (*f[12] && put_member(v, "replica", f[12], ESC_REPLICA, esc)) ||
	    putf(v, ",\"delay_ms\":%lld,\"replayed\":%s", e->delay_ms, e->replayed ? "true" : "false") ||
	    (e->truncated && put(v, ",\"truncated\":true", 17)))
		return -1;
	return 0;
}

static int put_entry(struct journal_view *v, const struct journal_entry *e)
{
	const char *p = e->blob, *f[JOURNAL_FIXED];
	unsigned i, esc = 0;
	char when[96];
	struct tm tm;

	for (i = 0; i < JOURNAL_FIXED; i++)
		f[i] = next_str(&p);
	if (!gmtime_r(&e->wall.tv_sec, &tm))
		memset(&tm, 0, sizeof(tm));
	/* a year as wide as gmtime gives (a store may hold any seconds) */
	snprintf(when, sizeof(when), "%04lld-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 1900LL + tm.tm_year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, e->wall.tv_nsec / 1000000);
	if (putf(v, "{\"seq\":%llu,\"t_us\":%lld,\"connection\":%llu,\"time\":\"%s\",\"method\":",
		 (unsigned long long)e->seq, (long long)e->t_us,
		 (unsigned long long)e->connection, when) ||
	    put_str(v, f[0], ESC_METHOD, &esc) || put(v, ",\"path\":", 8) ||
	    put_str(v, f[1], ESC_PATH, &esc) || put(v, ",\"headers\":[", 12))
		return -1;
	for (i = 0; i < e->nr_headers; i++) {
		const char *name = next_str(&p), *value = next_str(&p);

		if (put(v, i ? ",[" : "[", i ? 2 : 1) || put_str(v, name, ESC_HEADERS, &esc) ||
		    put(v, ",", 1) || put_str(v, value, ESC_HEADERS, &esc) || put(v, "]", 1))
			return -1;
	}
	if (put(v, "]", 1) || put_query(v, p, e->nr_query, &esc) || put_tail(v, e, f, &esc))
		return -1;
	if (esc) {
		int first = 1;

		if (put(v, ",\"escaped\":[", 12))
			return -1;
		for (i = 0; i < ESC_COUNT; i++)
			if (esc & (1u << i)) {
				if (putf(v, "%s\"%s\"", first ? "" : ",", esc_name[i]))
					return -1;
				first = 0;
			}
		if (put(v, "]", 1))
			return -1;
	}
	return put(v, "}", 1);
}

/* Make the next piece of text pending: the head, an entry, or the tail.
 * 0 when there is none left. */
static int produce(struct journal_view *v)
{
	v->pend_len = v->pend_off = 0;
	switch (v->stage) {
	case 0:
		v->stage = 1;
		if (putf(v, "{\"capacity\":%zu,\"size\":%zu,\"next_seq\":%llu,\"entries\":[",
			 v->capacity, v->size, (unsigned long long)v->next_seq))
			return -1;
		return 1;
	case 1:
		if (v->at < v->n) {
			if (v->at && put(v, ",", 1))
				return -1;
			return put_entry(v, v->e[v->at++]) ? -1 : 1;
		}
		v->stage = 2;
		return put(v, "]}", 2) ? -1 : 1;
	default:
		return 0;
	}
}

long journal_view_read(struct journal_view *v, char *out, size_t max)
{
	size_t got = 0;

	while (got < max) {
		size_t n;

		if (v->pend_off == v->pend_len) {
			int r = produce(v);

			if (r < 0)
				return -1;
			if (r == 0)
				break;
		}
		n = v->pend_len - v->pend_off;
		if (n > max - got)
			n = max - got;
		memcpy(out + got, v->pend + v->pend_off, n);
		v->pend_off += n;
		got += n;
	}
	return (long)got;
}

json_t *journal_dump(struct journal *j, uint64_t since, size_t limit, const char *scenario)
{
	struct journal_view v;
	char *text = NULL, *t;
	size_t len = 0, cap = 0;
	json_t *out = NULL;
	long n;

	if (journal_view(j, since, limit, scenario, &v))
		return NULL;
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			if (!(t = realloc(text, cap)))
				goto done;
			text = t;
		}
		n = journal_view_read(&v, text + len, cap - len);
		if (n < 0)
			goto done;
		len += (size_t)n;
	} while (n > 0);
	out = json_loadb(text, len, 0, NULL);
done:
	free(text);
	journal_view_release(&v);
	return out;
}
