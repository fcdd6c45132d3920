#ifndef ERRATA_IMPORT_TABLE_H
#define ERRATA_IMPORT_TABLE_H
/*
 * A page's pipe tables: what each column holds, by its header and, where
 * the header is wrong or silent, by its cells (table_cols.c); internal to
 * the page importer.
 */
#include "import_doc.h"

enum col { COL_NONE, COL_CODE, COL_STATUS, COL_DOMAIN, COL_RETRY, COL_MESSAGE,
	   COL_NAME, COL_DESCRIPTION, COL_RESOLUTION, COL_CATEGORY, COL_MEANING,
	   COL_BODY_TYPE, COL_BODY_CODE, COL_RETRY_AFTER, COL_ROLE, COL_WIRE };

/* Split a pipe row into trimmed cells (the leading and trailing pipes are
 * optional); `buf` receives a copy it points into. Returns the count. */
int import_cells_of(const char *line, char *buf, size_t size, char **cells);
int import_separator_row(char **cells, int n);
/* A cell that leads with a status ("404", "`404 Not Found`", "404 - Not
 * found"): the status (100-599), the words after it into *rest; else 0. */
int import_lead_status(const char *s, const char **rest);
/* The columns of the table whose header (n cells) is line `head`: cols[]
 * filled, the first code, status and meaning columns (or -1); returns how
 * many columns errata knows. */
int import_table_columns(struct doc *d, size_t head, int n, char **heads, enum col *cols,
			 int *code, int *status, int *meaning);

#endif
