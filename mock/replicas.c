/*
 * errata serve and errata proxy as replicas of one service (--state): the
 * mock's side of shared.h. Scenarios are parsed from the store's
 * definitions whenever its version moves, so each replica serves the same
 * ones; steps, keys, buckets and the journal are read and written in the
 * store as each request needs them. A store that fails fails the request
 * with a 503 naming it: never an answer from this process's own state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "shared.h"

int replicas_start(struct mock *m, const struct mock_config *cfg)
{
	struct timespec rt;

	m->shared = cfg->shared;
	if (!m->shared)
		return 0;
	clock_gettime(CLOCK_REALTIME, &rt);
	/* t_us in a shared journal: microseconds since the epoch, comparable
	 * across replicas as far as their clocks agree */
	m->epoch_us = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000 - mock_now_us(m);
	snprintf(m->replica, sizeof(m->replica), "%s", cfg->replica && *cfg->replica ? cfg->replica : "");
	return pthread_mutex_init(&m->sync_lock, NULL) ? -1 : 0;
}

void replicas_stop(struct mock *m)
{
	if (m->shared)
		pthread_mutex_destroy(&m->sync_lock);
}

/* A fresh registry from the store's definitions (a definition this replica
 * cannot parse, e.g. for a contract it does not mount, is left out and
 * said on stderr). */
static void rebuild(struct mock *m, const struct shared_defs *d, struct scenarios *fresh)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct admin_problem pb;
		struct scenario *sc = admin_scenario_build(m, d->bodies[i], d->lens[i], &pb);
		char why[300];

		if (!sc) {
			fprintf(stderr, "errata: scenario '%s' in %s is not one this replica serves: %.300s\n", d->ids[i],
				shared_where(m->shared), pb.why);
			json_decref(pb.valid);
			continue;
		}
		snprintf(sc->id, sizeof(sc->id), "%s", d->ids[i]);
		if (scenarios_add(fresh, sc, why, sizeof(why)))
			scenario_unref(sc);
	}
}

/*
 * A lease: a version check that began less than REPLICAS_LEASE_US ago
 * vouches for the scenarios held, so under load a replica asks the store
 * about a thousand times a second, not once per request. Every change made
 * through the admin API waits out one lease before it answers; a request
 * that comes after that answer, to any replica, finds that replica's last
 * check begun before the change too old to trust, and checks again: each
 * replica reads its writes and every other replica's.
 */
int replicas_sync(struct mock *m, char *why, size_t size)
{
	int64_t now = timer_now_us(), was = atomic_load(&m->sc_checked);

	if (now - was < REPLICAS_LEASE_US)
		return 0;
	if (replicas_check(m, why, size))
		return -1;
	was = atomic_load(&m->sc_checked);
	while (was < now && !atomic_compare_exchange_weak(&m->sc_checked, &was, now))
		;
	return 0;
}

void replicas_changed(void)
{
	usleep(REPLICAS_LEASE_US);
}

int replicas_check(struct mock *m, char *why, size_t size)
{
	struct shared_defs d;
	struct scenarios fresh;
	long long known = atomic_load(&m->sc_version), was;
	int rc = shared_scenarios_changed(m->shared, &known, &d, why, size);

	if (rc <= 0)
		return rc;
	pthread_mutex_lock(&m->sync_lock);
	was = atomic_load(&m->sc_version);
	if (known > was && !scenarios_init(&fresh)) { /* versions only grow: an older read changes nothing */
		rebuild(m, &d, &fresh);
		scenarios_swap(&m->scenarios, &fresh);
		atomic_store(&m->sc_version, known);
		scenarios_release(&fresh);
	}
	pthread_mutex_unlock(&m->sync_lock);
	shared_defs_release(&d);
	return 0;
}

enum MHD_Result replicas_unavailable(struct mock *m, struct MHD_Connection *conn, struct request *rq,
				     const struct mount *mt, const char *why)
{
	return refuse(m, conn, rq, mt, MHD_HTTP_SERVICE_UNAVAILABLE, "state-store-unavailable",
		      "State store unavailable", NULL,
		      "the state this replica shares (%s) failed: %s; nothing was served from this replica's own state",
		      shared_where(m->shared), why);
}

enum MHD_Result replicas_admin_unavailable(struct mock *m, struct MHD_Connection *conn, const char *why)
{
	char detail[700];

	snprintf(detail, sizeof(detail), "the state this replica shares (%s) failed: %s", shared_where(m->shared),
		 why);
	return mock_problem(m, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "state-store-unavailable",
			    "State store unavailable", detail, NULL);
}

enum MHD_Result replicas_add(struct mock *m, struct MHD_Connection *conn, struct scenario *sc,
			     const char *body, size_t len)
{
	char why[600];
	int rc = 0;
	json_t *reply;

	if (!sc->id[0])
		rc = shared_scenario_id(m->shared, sc->id, sizeof(sc->id), why, sizeof(why));
	if (!rc)
		rc = shared_scenario_add(m->shared, sc->id, body, len, why, sizeof(why));
	if (rc == 1)
		rc = replicas_check(m, why, sizeof(why)) ? -1 : (replicas_changed(), 1);
	if (rc == 0) {
		snprintf(why, sizeof(why), "a scenario with the id '%s' exists", sc->id);
		scenario_unref(sc);
		return mock_problem(m, conn, MHD_HTTP_CONFLICT, "scenario-exists", "Scenario not added", why, NULL);
	}
	if (rc < 0) {
		scenario_unref(sc);
		return replicas_admin_unavailable(m, conn, why);
	}
	reply = sc->spec ? verdict_spec_json(m, sc) : json_pack("{ss}", "id", sc->id);
	scenario_unref(sc);
	return mock_reply_json(conn, MHD_HTTP_CREATED, "application/json", reply);
}

int replicas_account(struct mock *m, struct scenario *sc, char *why, size_t size)
{
	long long n;

	if (shared_scenario_served(m->shared, sc->id, &n, why, size))
		return -1;
	scenario_account(sc, n);
	return 0;
}

json_t *replicas_scenarios_json(struct mock *m, char *why, size_t size)
{
	struct scenario **v;
	size_t n = scenarios_snapshot(&m->scenarios, &v), i;
	json_t *a = json_array();
	int bad = 0;

	for (i = 0; i < n; i++) {
		if (!bad && !(bad = replicas_account(m, v[i], why, size)))
			json_array_append_new(a, scenario_json(v[i]));
		scenario_unref(v[i]);
	}
	free(v);
	if (bad) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* The outcome a client reported to any replica, onto the local scenario. */
int replicas_outcome(struct mock *m, struct scenario *sc, char *why, size_t size)
{
	char *text;
	json_t *j, *expected = NULL;

	if (atomic_load(&sc->end))
		return 0;
	if (shared_outcome_get(m->shared, sc->id, &text, why, size))
		return -1;
	if (!text)
		return 0;
	j = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(why, size, "%s holds an outcome errata did not write", shared_where(m->shared));
		return -1;
	}
	if (!atomic_compare_exchange_strong(&sc->end, &expected, j))
		json_decref(j);
	return 0;
}

/*
 * A request of a scenario with verdicts (made with "suite" or "expect") is
 * written before its response goes (now), so that its verdicts, read from
 * any replica once the client is done, see every attempt; other requests
 * go through the writer thread's queue.
 */
void replicas_journal(struct mock *m, struct journal_record *r, int now)
{
	struct journal_entry *e;
	char why[300] = "out of memory";

	r->replica = m->replica[0] ? m->replica : NULL;
	r->t_us += m->epoch_us;
	if ((e = journal_entry_new(r)) && now && !shared_journal_write(m->shared, e, why, sizeof(why))) {
		journal_entry_unref(e);
		return;
	}
	if (!e || shared_journal_append(m->shared, e, why, sizeof(why)))
		fprintf(stderr, "errata: a journal entry was lost (%llu in all): %s\n", shared_journal_lost(m->shared),
			why);
	journal_entry_unref(e);
}
