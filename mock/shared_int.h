#ifndef ERRATA_SHARED_INT_H
#define ERRATA_SHARED_INT_H
/* What shared.c and shared_state.c share. Not for use outside them. */
#include <limits.h>
#include <stdatomic.h>

#include <hiredis/hiredis.h>

#include "shared.h"

struct shared {
	struct store *st;
	size_t journal_size;
	atomic_ullong lost;          /* journal entries the store did not take */
};

#endif
