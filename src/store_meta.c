/* store_meta.c - occurrences' times and mail metadata in the store (store_meta.h). */
#include <stdlib.h>
#include <string.h>

#include "mailmeta.h"
#include "store_meta.h"

/* "time, <the metadata fields>" after start */
static void meta_columns(struct sbuf *sql, const char *start)
{
	sbuf_adds(sql, start);
	sbuf_adds(sql, "time");
	for (int i = 0; i < META_NFIELDS; i++)
		sbuf_addf(sql, ", %s", mailmeta_field_name((enum meta_field)i));
}

char *store_meta_add_sql(void)
{
	struct sbuf sql = SBUF_INIT;

	meta_columns(&sql, "INSERT OR REPLACE INTO occurrence_meta (occurrence_id, ");
	sbuf_adds(&sql, ") VALUES (?, ?");
	for (int i = 0; i < META_NFIELDS; i++)
		sbuf_adds(&sql, ", ?");
	sbuf_adds(&sql, ")");
	return sbuf_detach(&sql);
}

char *store_meta_read_sql(void)
{
	struct sbuf sql = SBUF_INIT;

	meta_columns(&sql, "SELECT ");
	sbuf_adds(&sql, " FROM occurrence_meta WHERE occurrence_id = ?");
	return sbuf_detach(&sql);
}

int store_meta_add(sqlite3_stmt *s, int64_t occ, const struct report *r)
{
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, occ);
	if (r->event_time)
		sqlite3_bind_text(s, 2, r->event_time, -1, SQLITE_STATIC);
	for (int i = 0; r->meta && i < META_NFIELDS; i++)
		if (r->meta->v[i])
			sqlite3_bind_text(s, 3 + i, r->meta->v[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static char *store_meta_col(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? xstrdup((const char *)v) : NULL;
}

int store_meta_read(sqlite3_stmt *s, int64_t occ, struct report *r)
{
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, occ);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		struct report_meta m = { { NULL } };
		bool any = false;

		free(r->event_time);
		r->event_time = store_meta_col(s, 0);
		for (int i = 0; i < META_NFIELDS; i++) {
			m.v[i] = store_meta_col(s, 1 + i);
			any |= m.v[i] != NULL;
		}
		report_meta_free(r->meta);
		r->meta = any ? report_meta_dup(&m) : NULL;
		for (int i = 0; i < META_NFIELDS; i++)
			free(m.v[i]);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}
