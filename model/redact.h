#ifndef ERRATA_REDACT_H
#define ERRATA_REDACT_H
/*
 * Keeping secrets out of everything errata prints or stores. A header or
 * JSON key is secret when it is Authorization, Proxy-Authorization, Cookie,
 * Set-Cookie or X-Api-Key, or when its name contains token, key, secret,
 * password, auth, session or credential (case-insensitive). The one
 * exception is Idempotency-Key: it is not a secret, and retry verdicts need
 * to see it.
 */
#include <stddef.h>
#include <jansson.h>

#define REDACTED "[REDACTED]"

/* 1 when values under this header or JSON key name must not be shown. */
int redact_is_secret_name(const char *name);

/* Replace, in place, every value under a secret key, at any depth. */
void redact_json(json_t *v);

/*
 * A URL with its userinfo password and the values of secret query
 * parameters replaced. Returns a new string to free(), or NULL.
 */
char *redact_url(const char *url);

/* Known secret values (say, expanded from the environment) to scrub from text. */
struct redactor {
	char **secrets;
	size_t nr, alloc;
	unsigned char first[256];    /* bytes a secret starts with */
};

void redactor_init(struct redactor *r);
void redactor_release(struct redactor *r);

/* Remember a secret value; values shorter than 4 bytes are too common to scrub. */
int redactor_add(struct redactor *r, const char *secret);

/* Add a secret and the forms a server may echo it in: percent-encoded
 * (every byte but the unreserved ones; with '/' kept; with '+' for a
 * space) and escaped inside a JSON string (with and without "\/"). */
int redactor_add_forms(struct redactor *r, const char *secret);

/* Every credential a request's header field carries, in every form, when
 * its name is a secret's (Authorization, Cookie, X-Api-Key, *-Token...):
 * the whole value, the part after any scheme word ("Bearer", "token",
 * "Basic", ...), a Basic credential's decoded user:password and password,
 * and each cookie's value. 0, or -1 when out of memory. */
int redactor_add_field(struct redactor *r, const char *name, const char *value);

/* The values of a query's secret-named parameters (key, api_key, token,
 * access_token, ...), as sent and decoded, in every form. */
int redactor_add_query(struct redactor *r, const char *query);

/* Add the value of every variable in `envp` (NAME=VALUE, NULL-terminated)
 * whose name redact_is_secret_name() calls secret and whose value has at
 * least 6 bytes: API_TOKEN, STRIPE_KEY, DB_PASSWORD... Returns 0 or -1. */
int redactor_add_env(struct redactor *r, char *const *envp);

/* A copy of `text` with every known secret replaced. Returns a string to free(). */
char *redactor_apply(const struct redactor *r, const char *text);

/* The same for text[0..len), which may hold NULs; its length into *out_len
 * (may be NULL). NUL-terminated, to free(). */
char *redactor_apply_n(const struct redactor *r, const char *text, size_t len, size_t *out_len);

/* 1 when text[0..len) holds a known secret. */
int redactor_found(const struct redactor *r, const char *text, size_t len);

/*
 * The one way evidence text is made from what a peer sent: s[0..len) (may
 * hold NULs, invalid UTF-8 and secrets) with every known secret redacted
 * first (r may be NULL), then made valid UTF-8 (each bad byte U+FFFD, a NUL
 * too), then cut to at most `max` bytes on a character boundary, marked by
 * " [cut]". A cut never leaves the first bytes of a known secret at its end.
 * A new string to free(), or NULL when out of memory.
 */
char *redact_evidence(const struct redactor *r, const char *s, size_t len, size_t max);

/* The same for the end of a text: at most `max` bytes of its tail, marked
 * by "[cut] " in front, never starting with the last bytes of a secret. */
char *redact_evidence_tail(const struct redactor *r, const char *s, size_t len, size_t max);

#endif
