#ifndef ERRATA_STORE_REDIS_H
#define ERRATA_STORE_REDIS_H
/*
 * A Redis (or Valkey) that replicas of errata share, through hiredis: a
 * pool of connections, each command bounded by a timeout, a connection
 * that failed dropped and made again on the next call, so the store comes
 * back by itself when Redis does. Scripts are sent by their SHA1 and loaded
 * when Redis does not know them (after a restart).
 *
 * store/ uses hiredis only; the mock reads and writes its state through it.
 * The password never appears in anything this prints: store_where() names
 * the store without it.
 */
#include <stddef.h>

#include <hiredis/hiredis.h>

struct store;

struct store_config {
	const char *url;             /* redis://[:PASSWORD@]HOST[:PORT][/DB] */
	const char *password_file;   /* a file whose first line is the password, or NULL */
	unsigned timeout_ms;         /* per command and per connect; 0: 500 */
};

/* Parse the URL, read the password, connect once and check with PING.
 * NULL with why (a bad URL, an unreachable store, a refused password). */
struct store *store_open(const struct store_config *cfg, char *why, size_t size);
void store_close(struct store *s);

/* "redis://HOST:PORT/DB", for messages. */
const char *store_where(const struct store *s);

/*
 * Run a command (argv with lengths: binary-safe). The reply (free it with
 * freeReplyObject), or NULL with why: the store unreachable, too slow, or
 * answering with an error.
 */
redisReply *store_command(struct store *s, int argc, const char **argv, const size_t *lens,
			  char *why, size_t size);

/* A Lua script, sent as EVALSHA (EVAL when Redis lost it). `lua` must live
 * as long as the store (a string literal). */
redisReply *store_script(struct store *s, const char *lua, int nkeys, int argc, const char **argv,
			 const size_t *lens, char *why, size_t size);

/* A reply reader that refuses replies whose arrays hold more than
 * STORE_MAX_ELEMENTS in all (each
 * connection reads with one; the fuzz target makes its own), or NULL. */
#define STORE_MAX_ELEMENTS 65536
redisReader *store_reader(void);

/* Parse a store URL (for the tests and the fuzz target): 0, or -1 with why. */
struct store_url {
	char host[256];
	int port, db;
	char password[256];
	int tls;
};
int store_parse_url(const char *url, struct store_url *u, char *why, size_t size);

/* A store's own words (an error reply) for a message that reaches stderr or
 * an HTTP client: each whole occurrence of the password pw as "[password]",
 * control bytes as '?', cut to STORE_WORDS - 1 bytes on a UTF-8 boundary. */
#define STORE_WORDS 201
const char *store_words(const char *pw, const char *text, char out[STORE_WORDS]);

#endif
