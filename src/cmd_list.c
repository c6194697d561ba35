/* cmd_list.c - kcsan-triage list: the reports in the store. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"

static const struct column list_cols[] = {
	{ .key = "id", .head = "ID", .right = 1 },
	{ .key = "verdict", .head = "VERDICT" },          /* the label when there is one */
	{ .key = "tool_verdict", .head = "TOOL VERDICT", .json_only = 1 },
	{ .key = "label", .head = "LABEL" },
	{ .key = "count", .head = "COUNT", .right = 1 },
	{ .key = "first_seen", .head = "FIRST SEEN" },
	{ .key = "last_seen", .head = "LAST SEEN" },
	{ .key = "field", .head = "FIELD" },
	{ .key = "title", .head = "TITLE" },
};

static void list_row(const struct sig_row *s, void *data)
{
	struct table *t = data;
	char *field = classification_field(&s->cls);

	table_int(t, s->id);
	table_str(t, verdict_name(effective_verdict(s->cls.verdict, &s->label)));
	table_str(t, verdict_name(s->cls.verdict));
	table_label(t, &s->label);
	table_int(t, s->count);
	table_str(t, s->first_seen);
	table_str(t, s->last_seen);
	table_str(t, field);
	table_str(t, s->display_title);
	free(field);
}

int cmd_list(int argc, char **argv, struct ctx *ctx)
{
	enum { OPT_FORMAT = 256, OPT_VERDICT, OPT_GREP, OPT_LIMIT };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "verdict", required_argument, NULL, OPT_VERDICT },
		{ "grep", required_argument, NULL, OPT_GREP },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 },
	};
	struct list_filter f = { 0 };
	enum kt_format fmt = KT_FMT_TEXT;
	struct out *o;
	struct table *t;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (parse_format(ctx, optarg, &fmt) < 0)
				return KT_EXIT_USAGE;
			break;
		case OPT_VERDICT:
			if (verdict_from_name(optarg) < 0) {
				kt_error(ctx, KT_EXIT_USAGE, NULL,
					 "--verdict takes device-origin, real-race or unknown-origin, not '%s'", optarg);
				return KT_EXIT_USAGE;
			}
			f.verdict = (enum verdict)verdict_from_name(optarg);
			break;
		case OPT_GREP:
			f.grep = optarg;
			break;
		case OPT_LIMIT:
			if (parse_count(ctx, "--limit", optarg, 0, &f.limit) < 0)
				return KT_EXIT_USAGE;
			break;
		default:
			cmd_usage(stderr, cmd_find("list"));
			return KT_EXIT_USAGE;
		}
	}
	if (cmd_no_operands(ctx, "list", argc, argv, optind) < 0)
		return KT_EXIT_USAGE;
	o = out_new(stdout, fmt);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	t = table_begin(o, "reports", list_cols, (int)(sizeof(list_cols) / sizeof(list_cols[0])));
	rc = store_list(ctx->store, &f, list_row, t);
	table_end(t);
	out_end_obj(o);
	return cmd_close_output(ctx, o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
