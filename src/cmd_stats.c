/* cmd_stats.c - kcsan-triage stats: counts by verdict, bug type, function, subsystem. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"

static int group(struct ctx *ctx, struct out *o, const char *what, const char *head, long top)
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
	out_text(o, "\n");
	t = table_begin(o, what, cols, 3);
	for (size_t i = 0; i < n; i++) {
		table_str(t, rows[i].key);
		table_int(t, rows[i].sigs);
		table_int(t, rows[i].occs);
	}
	table_end(t);
	count_rows_free(rows, n);
	return 0;
}

int cmd_stats(int argc, char **argv, struct ctx *ctx)
{
	enum { OPT_FORMAT = 256, OPT_TOP };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "top", required_argument, NULL, OPT_TOP },
		{ NULL, 0, NULL, 0 },
	};
	enum kt_format fmt = KT_FMT_TEXT;
	long top = 10;
	struct out *o;
	int opt, bad = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (parse_format(ctx, optarg, &fmt) < 0)
				return KT_EXIT_USAGE;
			break;
		case OPT_TOP:
			if (parse_count(ctx, "--top", optarg, 1, &top) < 0)
				return KT_EXIT_USAGE;
			break;
		default:
			cmd_usage(stderr, cmd_find("stats"));
			return KT_EXIT_USAGE;
		}
	}
	if (cmd_no_operands(ctx, "stats", argc, argv, optind) < 0)
		return KT_EXIT_USAGE;
	o = out_new(stdout, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	out_text(o, "store %s", store_path(ctx->store));
	bad += group(ctx, o, "verdict", "VERDICT", 0) < 0;
	bad += group(ctx, o, "bug_type", "BUG TYPE", 0) < 0;
	bad += group(ctx, o, "writer", "WRITER", 0) < 0;
	bad += group(ctx, o, "function", "TOP FUNCTION", top) < 0;
	bad += group(ctx, o, "subsystem", "SUBSYSTEM", top) < 0;
	out_end_obj(o);
	return cmd_close_output(ctx, o, bad ? KT_EXIT_STORE : KT_EXIT_OK);
}
