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

/* The groups, in the order shown. */
static const struct {
	const char *what, *head;
	bool top;                   /* only the --top largest */
} stats_groups[] = {
	{ "verdict", "VERDICT", false },
	{ "bug_type", "BUG TYPE", false },
	{ "writer", "WRITER", false },
	{ "function", "TOP FUNCTION", true },
	{ "subsystem", "SUBSYSTEM", true },
};
#define STATS_NGROUPS (sizeof(stats_groups) / sizeof(stats_groups[0]))

/* A group's key as text: "-" (no writer) is null in JSON and CSV. */
static const char *stats_key(const struct count_row *row)
{
	return strcmp(row->key, "-") ? row->key : NULL;
}

/* The style of a group's key: a verdict in its colour, as list shows it. */
static enum out_style stats_style(const char *what, const struct count_row *row)
{
	int v = strcmp(what, "verdict") ? -1 : verdict_from_name(row->key);

	return v < 0 ? STYLE_NONE : verdict_style((enum verdict)v);
}

static void group(struct out *o, size_t g, const struct count_row *rows, size_t n, struct table *csv)
{
	const char *what = stats_groups[g].what;
	struct column cols[3] = {
		{ .key = "key", .head = stats_groups[g].head },
		{ .key = "reports", .head = "DISTINCT", .right = 1 },
		{ .key = "occurrences", .head = "OCCURRENCES", .right = 1 },
	};
	struct table *t;

	if (out_json(o) && !strcmp(what, "bug_type")) {
		stats_bug_types_json(o, rows, n);
		return;
	}
	if (csv) {
		for (size_t i = 0; i < n; i++) {
			table_str(csv, what);
			table_str(csv, stats_key(&rows[i]));
			table_int(csv, rows[i].sigs);
			table_int(csv, rows[i].occs);
		}
		return;
	}
	out_text(o, "\n");
	t = table_begin(o, what, cols, 3);
	for (size_t i = 0; i < n; i++) {
		/* no writer: null in JSON, "-" in text */
		table_str_style(t, stats_key(&rows[i]), stats_style(what, &rows[i]));
		table_int(t, rows[i].sigs);
		table_int(t, rows[i].occs);
	}
	table_end(t);
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
	const char *what[STATS_NGROUPS];
	long limit[STATS_NGROUPS];
	struct count_row *rows[STATS_NGROUPS];
	size_t n[STATS_NGROUPS];
	struct out *o;
	struct table *csv = NULL;
	int bad;

	(void)argc;
	(void)argv;
	for (size_t g = 0; g < STATS_NGROUPS; g++) {
		what[g] = stats_groups[g].what;
		limit[g] = stats_groups[g].top ? so->top : 0;
	}
	/* every group counted in one pass over the store */
	bad = store_counts(ctx->store, what, STATS_NGROUPS, limit, rows, n) < 0;
	o = out_new_stdout(ctx, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	if (fmt == KT_FMT_CSV) {
		csv = table_begin(o, NULL, stats_csv_cols, 4);
	} else {
		out_text(o, "store ");
		out_text_safe(o, store_path(ctx->store));
	}
	for (size_t g = 0; !bad && g < STATS_NGROUPS; g++) {
		group(o, g, rows[g], n[g], csv);
		count_rows_free(rows[g], n[g]);
	}
	if (csv)
		table_end(csv);
	out_end_obj(o);
	return cmd_close_output(ctx, o, bad ? KT_EXIT_STORE : KT_EXIT_OK);
}
