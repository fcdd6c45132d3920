#ifndef ERRATA_RETRY_AFTER_H
#define ERRATA_RETRY_AFTER_H
/*
 * Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.
 * Parsing accepts the three date forms recipients must accept (IMF-fixdate,
 * RFC 850, asctime) and rejects fractional, negative and garbage values.
 */
#include <time.h>

#define HTTP_DATE_SIZE 64

enum http_date_form { HTTP_DATE_IMF, HTTP_DATE_RFC850, HTTP_DATE_ASCTIME };

struct retry_after {
	int is_date;              /* 0: delay-seconds; 1: an HTTP-date */
	enum http_date_form form; /* for a date */
	long long seconds;        /* the delay from `now`; negative for a past date */
	time_t date;              /* for a date */
};

/* A delay above this (six hours, curl's cap) is one clients misread. */
#define RETRY_AFTER_HUGE 21600
/* Longer delay-seconds are read as this many (about 31 million years). */
#define RETRY_AFTER_CLAMP 1000000000000000LL

/*
 * Parse a Retry-After value received at `now`. Returns 0 and fills *out, or
 * -1 with *why (a static string) saying what is wrong; why may be NULL.
 */
int retry_after_parse(const char *value, time_t now, struct retry_after *out,
		      const char **why);

/* Why a valid value is one that clients misread (a past date, huge, an
 * obsolete date form), or NULL when it is unremarkable. Static string. */
const char *retry_after_misread(const struct retry_after *ra);

/* Parse an HTTP-date in any of the three forms. Returns 0 or -1. */
int http_date_parse(const char *s, time_t *out, enum http_date_form *form);

/* Format `t` as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into buf
 * (HTTP_DATE_SIZE bytes). 0, or -1 (buf "") for a time that has no
 * IMF-fixdate: before year 0 or after 9999, or past what gmtime_r takes. */
int http_date_format(time_t t, char buf[HTTP_DATE_SIZE]);

#endif
