/*
 * The rules of errata contract import: what fills a value the document
 * leaves out (a status from a code's words, a role from its status, retry
 * safety from prose or convention, a message from a code's name), each
 * giving the reason it is marked inferred with. Used by import.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../model/contract.h"
#include "import_doc.h"

int import_in_list(int v, const int *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

/* Is `status` in the document's status table (any status, when it has none)? */
static int listed(const struct doc *d, int status)
{
	return !d->nr_statuses || import_status_meaning(d, status) != NULL;
}

/*
 * A status for a code the document gives none, from the words of its code
 * and description by the HTTP conventions named in each reason. Only
 * statuses in the document's status table are chosen when it has one.
 */
int import_guess_status(const struct doc *d, const struct icode *c, const char **why)
{
	static const struct {
		const char *words;  /* any of these, '|' separated, in the code or text */
		int status, alt;    /* alt: when status is not listed */
		const char *why;
	} rules[] = {
		{ "NOT_FOUND|does not exist|not found", 404, 0, "\"not found\" is 404" },
		{ "TOKEN|JWT|KEY_REVOKED|UNAUTHORIZED|UNAUTHENTICATED|SESSION|authentication|credential", 401, 0,
		  "invalid or missing authentication is 401" },
		{ "SCOPE|PERMISSION|FORBIDDEN|permissions", 403, 0, "missing permission is 403" },
		{ "EXPIRED|GONE", 410, 404, "an expired resource is gone: 410, or 404 when the page lists no 410" },
		{ "ALREADY|EXISTS|CONFLICT|DUPLICATE|already", 409, 0, "a state conflict is 409" },
		{ "TOO_LARGE|too large|exceeds maximum size", 413, 0, "a payload too large is 413" },
		{ "CONCURREN|RATE_LIMIT|TOO_MANY|too many requests|rate limit", 429, 0,
		  "too many requests is 429" },
		{ "QUOTA|PAYMENT|CREDITS|SPENDING|BILLING", 402, 403,
		  "a refusal for payment is 402, or 403 when the page lists no 402" },
		{ "UNSUPPORTED", 415, 400, "an unsupported format is 415, or 400 when the page lists no 415" },
		{ "INVALID|MISSING|MALFORMED|BAD_REQUEST", 400, 0, "an invalid or missing parameter is 400" },
		{ "TIMEOUT", 504, 0, "a timeout is 504" },
		{ "UNAVAILABLE", 503, 0, "unavailable is 503" },
	};
	char hay[1024], word[128];
	size_t r;
	int named = import_status_of_name(c->code);

	if (named >= 400 && listed(d, named)) {
		*why = "the code is the name of an HTTP status the page lists";
		return named;
	}
	snprintf(hay, sizeof(hay), "%s %s", c->code, c->description ? c->description : "");
	for (r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		const char *w = rules[r].words;
		int hit = 0;

		while (*w && !hit) {
			size_t n = strcspn(w, "|");

			snprintf(word, sizeof(word), "%.*s", (int)n, w);
			/* upper-case words are matched in the code, case-insensitively
			 * (invalid_request); the others in the description */
			if (isupper((unsigned char)word[0]) ? strcasestr(c->code, word) != NULL
							    : strcasestr(hay + strlen(c->code), word) != NULL)
				hit = 1;
			w += n + (w[n] == '|');
		}
		if (!hit)
			continue;
		if (listed(d, rules[r].status)) {
			*why = rules[r].why;
			return rules[r].status;
		}
		if (rules[r].alt && listed(d, rules[r].alt)) {
			*why = rules[r].why;
			return rules[r].alt;
		}
	}
	if (listed(d, 422)) {
		*why = "no rule names a status; a request that was understood but cannot be processed is 422";
		return 422;
	}
	*why = "no rule names a status; 400 is the general client error";
	return 400;
}

int import_guess_role(const char *code, int status)
{
	char up[160];
	size_t i;

	for (i = 0; code[i] && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)code[i]);
	up[i] = '\0';
#define HAS(w) (strstr(up, (w)) != NULL)
	if (HAS("IDEMPOTEN") && (HAS("REUSE") || HAS("MISMATCH") || HAS("CONFLICT")))
		return ROLE_IDEMPOTENCY_CONFLICT;
	switch (status) {
	case 401:
		return HAS("REQUIRED") || HAS("MISSING") || HAS("UNAUTHORIZED") || HAS("UNAUTHENTICATED")
		       ? ROLE_AUTH_REQUIRED : ROLE_AUTH_INVALID;
	case 402: return HAS("QUOTA") || HAS("SPEND") ? ROLE_QUOTA : ROLE_INSUFFICIENT_CREDITS;
	case 403:
		if (HAS("QUOTA"))
			return ROLE_QUOTA;
		return HAS("PAYMENT") || HAS("CREDIT") ? ROLE_INSUFFICIENT_CREDITS : ROLE_FORBIDDEN;
	case 404: case 410: return ROLE_NOT_FOUND;
	case 409: return ROLE_CONFLICT;
	case 413: return ROLE_PAYLOAD_TOO_LARGE;
	case 425: return ROLE_NOT_READY;
	case 429:
		if (HAS("CONCURREN"))
			return ROLE_CONCURRENCY_LIMITED;
		if (HAS("QUOTA"))
			return ROLE_QUOTA;
		return HAS("QUEUE") || HAS("CAPACITY") ? ROLE_CAPACITY : ROLE_RATE_LIMITED;
	case 500: return ROLE_INTERNAL;
	case 502: return ROLE_UPSTREAM;
	case 503:
		if (HAS("CONFIG"))
			return ROLE_MISCONFIGURED;
		if (HAS("CAPACITY"))
			return ROLE_CAPACITY;
		if (HAS("TIMEOUT"))
			return ROLE_TIMEOUT;
		return HAS("UPSTREAM") || HAS("STORAGE") ? ROLE_UPSTREAM : ROLE_UNAVAILABLE;
	case 504: return ROLE_TIMEOUT;
	default: return status >= 500 ? ROLE_INTERNAL : ROLE_VALIDATION;
	}
#undef HAS
}

/* The role a status table's line describes, for status-only entries. */
int import_status_role(int status, const char *meaning)
{
	if (status == 429 && meaning && (import_has_word(meaning, "quota")))
		return ROLE_QUOTA;
	return import_guess_role("", status);
}

int import_same_role_family(int a, int b)
{
	int auth_a = a == ROLE_AUTH_REQUIRED || a == ROLE_AUTH_INVALID;
	int auth_b = b == ROLE_AUTH_REQUIRED || b == ROLE_AUTH_INVALID;

	return a == b || (auth_a && auth_b);
}

/*
 * Retry safety from a Resolution cell: retry when it says to retry as it is
 * ("Retry; ...", "Retry with ..."), to back off, or to wait and then retry;
 * not when the caller must change or check something first ("Check ... and
 * retry"). A 4xx other than 408, 425 and 429 is never retried.
 */
int import_retry_from_resolution(const char *res, int status, const char **why)
{
	int transient4xx = status == 408 || status == 425 || status == 429;

	/* the page's words first: a 4xx it says to retry unchanged is retried */
	if (!strncasecmp(res, "retry", 5)) {
		*why = "the resolution begins with \"Retry\"";
		return 1;
	}
	if (import_has_word(res, "backoff") || import_has_word(res, "back off")) {
		*why = "the resolution asks for backoff";
		return 1;
	}
	if (import_has_word(res, "wait") && (import_has_word(res, "retry") || import_has_word(res, "try again") ||
					     import_has_word(res, "try the request again"))) {
		*why = "the resolution asks to wait, then retry";
		return 1;
	}
	if (import_has_word(res, "try again later") || import_has_word(res, "retry later")) {
		*why = "the resolution asks to try again later";
		return 1;
	}
	if (status < 500 && !transient4xx) {
		*why = "client error (4xx); the resolution asks for a changed request";
		return 0;
	}
	*why = "the resolution asks for a change before any retry";
	return 0;
}

const int import_conventional[] = { 408, 425, 429, 500, 502, 503, 504, 529 };  /* 529: overloaded (Anthropic) */

/*
 * Retry guidance in prose: bullets that begin "Retry" name the statuses to
 * retry (a "5xx" stands for the document's 5xx statuses). Returns the count
 * of statuses found, 0 when the page gives none.
 */
size_t import_retry_guidance(struct doc *d, int *out, size_t cap)
{
	size_t i, n = 0, k;

	for (i = 0; i < d->nr_lines; i++) {
		const char *l = d->lines[i], *p;

		while (*l && !isalpha((unsigned char)*l))
			l++;
		if (strncasecmp(l, "retry ", 6))
			continue;
		for (p = l; *p; p++) {
			int st;

			if (!isdigit((unsigned char)p[0]) || (p > l && isalnum((unsigned char)p[-1])))
				continue;
			if (p[1] == 'x' && p[2] == 'x') {
				for (k = 0; k < d->nr_statuses; k++)
					if (d->statuses[k].status / 100 == p[0] - '0' && n < cap &&
					    !import_in_list(d->statuses[k].status, out, n))
						out[n++] = d->statuses[k].status;
				continue;
			}
			st = atoi(p);
			if (st >= 400 && st <= 599 && isdigit((unsigned char)p[2]) && n < cap && !import_in_list(st, out, n))
				out[n++] = st;
			while (isdigit((unsigned char)p[1]))
				p++;
		}
	}
	return n;
}

/* "INVALID_URL" -> "Invalid URL." */
char *import_message_from_code(const char *code)
{
	char *out = malloc(strlen(code) * 2 + 2), *o = out;
	const char *p = code;
	int first = 1;

	if (!out)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "_-. ");
		char word[128];
		size_t k;

		snprintf(word, sizeof(word), "%.*s", (int)(n < 127 ? n : 127), p);
		if (*word) {
			int acronym = import_acronym_at(word) && strlen(word) <= 5;

			if (!first)
				*o++ = ' ';
			for (k = 0; word[k]; k++)
				*o++ = acronym ? (char)toupper((unsigned char)word[k]) :
				       (first && !k) ? (char)toupper((unsigned char)word[k]) :
				       (char)tolower((unsigned char)word[k]);
			first = 0;
		}
		p += n;
		if (*p)
			p++;
	}
	*o++ = '.';
	*o = '\0';
	return out;
}

/* Codes the prose names: "Expect codes like FORBIDDEN, INVALID_URL ...",
 * "can fail with INSUFFICIENT_CREDITS or ...". */

const char *import_reason_phrase(int status)
{
	static const struct { int st; const char *phrase; } t[] = {
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
		{ 407, "Proxy Authentication Required" }, { 408, "Request Timeout" }, { 409, "Conflict" },
		{ 410, "Gone" }, { 411, "Length Required" }, { 412, "Precondition Failed" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" }, { 415, "Unsupported Media Type" },
		{ 416, "Range Not Satisfiable" }, { 417, "Expectation Failed" }, { 421, "Misdirected Request" },
		{ 422, "Unprocessable Content" }, { 423, "Locked" }, { 424, "Failed Dependency" },
		{ 425, "Too Early" }, { 426, "Upgrade Required" }, { 428, "Precondition Required" },
		{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
		{ 451, "Unavailable For Legal Reasons" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" }, { 507, "Insufficient Storage" },
		{ 508, "Loop Detected" }, { 511, "Network Authentication Required" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].st == status)
			return t[i].phrase;
	return NULL;
}

/* Retry advice in a description: 1 to wait and send it again ("Try again
 * later", "should resolve itself upon a retry"), 0 to change it first
 * ("Provide a valid token and try again"), -1 when it says neither. */
int import_retry_in_words(const char *s)
{
	if (strcasestr(s, "try again later") || (strcasestr(s, "try again") && strcasestr(s, "later")) || strcasestr(s, "retry later") || strcasestr(s, "upon a retry") ||
	    strcasestr(s, "backoff") || strcasestr(s, "back off") ||
	    (strcasestr(s, "wait") && (strcasestr(s, "try again") || strcasestr(s, "retry"))))
		return 1;
	if (strcasestr(s, "and try again") || strcasestr(s, "and retry") || strcasestr(s, "do not retry") ||
	    strcasestr(s, "don't retry"))
		return 0;
	return -1;
}

/* The status a code is the name of ("not_found" 404, "too_many_requests"
 * 429, "created" 201), or 0: compared with the reason phrases, '_' and '-'
 * as spaces, case aside. */
int import_status_of_name(const char *code)
{
	static const struct { int st; const char *name; } extra[] = {
		{ 200, "ok" }, { 201, "created" }, { 202, "accepted" }, { 203, "non authoritative information" },
		{ 204, "no content" }, { 205, "reset content" }, { 206, "partial content" }, { 207, "multi status" },
		{ 301, "moved permanently" }, { 302, "found" }, { 303, "see other" }, { 304, "not modified" },
		{ 307, "temporary redirect" }, { 308, "permanent redirect" }, { 300, "multiple choices" },
		{ 302, "redirect" }, { 413, "payload too large" },
		{ 413, "request entity too large" }, { 416, "requested range not satisfiable" },
		{ 422, "unprocessable entity" },
	};
	char name[64];
	size_t i, n;
	int st;

	for (n = 0; code[n] && n + 1 < sizeof(name); n++)
		name[n] = code[n] == '_' || code[n] == '-' ? ' ' : (char)tolower((unsigned char)code[n]);
	name[n] = '\0';
	if (code[n])
		return 0;
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (!strcmp(name, extra[i].name))
			return extra[i].st;
	for (st = 400; st <= 599; st++)
		if (import_reason_phrase(st) && !strcasecmp(name, import_reason_phrase(st)))
			return st;
	return 0;
}
