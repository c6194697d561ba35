/* cmd_stats.c - kcsan-triage stats: counts by verdict, bug type, function, subsystem. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"

/* CSV: every group's rows in one table, the group's name first. */
static const struct column stats_csv_cols[] = {
	{ .key = "group" }, { .key = "key" }, { .key = "reports" }, { .key = "occurrences" },
};

#define STATS_UNKNOWN_ORIGIN " (unknown origin)"

/*
 * JSON: the bug type as scan names it, and the origin beside it
 * ("data-race" and unknown_origin, not "data-race (unknown origin)").
 */
static void stats_bug_types_json(struct out *o, const struct count_row *rows, size_t n)
{
	out_begin_arr(o, "bug_type");
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(rows[i].key), sl = strlen(STATS_UNKNOWN_ORIGIN);
		bool unknown = len > sl && !strcmp(rows[i].key + len - sl, STATS_UNKNOWN_ORIGIN);
		char *base = xstrdup(rows[i].key);

		if (unknown)
			base[len - sl] = '\0';
		out_begin_obj(o, NULL);
		out_str(o, "key", NULL, base);
		out_bool(o, "unknown_origin", NULL, unknown);
		out_int(o, "reports", NULL, rows[i].sigs);
		out_int(o, "occurrences", NULL, rows[i].occs);
		out_end_obj(o);
		free(base);
	}
	out_end_arr(o);
}

static int group(struct ctx *ctx, struct out *o, const char *what, const char *head, long top, struct table *csv)
{
	struct column cols[3] = {
		{ .key = "key", .head = head },
		{ .key = "reports", .head = "DISTINCT", .right = 1 },
		{ .key = "occurrences", .head = "OCCURRENCES", .right = 1 },
	};
	struct count_row *rows;
	size_t n;
	struct table *t;

	if (store_count_by(ctx->store, what, top, &rows, &n) < 0)
		return -1;
	if (out_json(o) && !strcmp(what, "bug_type")) {
		stats_bug_types_json(o, rows, n);
		count_rows_free(rows, n);
		return 0;
	}
	if (csv) {
		for (size_t i = 0; i < n; i++) {
			table_str(csv, what);
			table_str(csv, strcmp(rows[i].key, "-") ? rows[i].key : NULL);
			table_int(csv, rows[i].sigs);
			table_int(csv, rows[i].occs);
		}
		count_rows_free(rows, n);
		return 0;
	}
	out_text(o, "\n");
	t = table_begin(o, what, cols, 3);
	for (size_t i = 0; i < n; i++) {
		/* no writer: null in JSON, "-" in text */
		table_str(t, strcmp(rows[i].key, "-") ? rows[i].key : NULL);
		table_int(t, rows[i].sigs);
		table_int(t, rows[i].occs);
	}
	table_end(t);
	count_rows_free(rows, n);
	return 0;
}

struct stats_opts {
	struct opt_output out;
	long top;
};

static const struct option_spec stats_specs[] = {
	OPT_INCLUDE_AT(opt_group_output_csv, struct stats_opts, out),
	OPT_INT("top", "N", struct stats_opts, top, 1, "10", "the N largest groups of functions, subsystems"),
	OPT_END(),
};
const struct option_table cmd_stats_options = OPT_TABLE(struct stats_opts, stats_specs);

int cmd_stats(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct stats_opts *so = opts;
	enum kt_format fmt = (enum kt_format)so->out.format;
	long top = so->top;
	struct out *o;
	struct table *csv = NULL;
	int bad = 0;

	o = out_new(stdout, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	if (fmt == KT_FMT_CSV)
		csv = table_begin(o, NULL, stats_csv_cols, 4);
	else
		out_text(o, "store %s", store_path(ctx->store));
	bad += group(ctx, o, "verdict", "VERDICT", 0, csv) < 0;
	bad += group(ctx, o, "bug_type", "BUG TYPE", 0, csv) < 0;
	bad += group(ctx, o, "writer", "WRITER", 0, csv) < 0;
	bad += group(ctx, o, "function", "TOP FUNCTION", top, csv) < 0;
	bad += group(ctx, o, "subsystem", "SUBSYSTEM", top, csv) < 0;
	if (csv)
		table_end(csv);
	out_end_obj(o);
	return cmd_close_output(ctx, o, bad ? KT_EXIT_STORE : KT_EXIT_OK);
}
