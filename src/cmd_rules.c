/* cmd_rules.c - kcsan-triage rules: the knowledge base. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "rules.h"

static int rules_list(struct ctx *ctx, enum kt_format fmt)
{
	struct out *o = out_new(stdout, fmt);
	const struct rules *rs = ctx->rules;

	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	out_begin_arr(o, "rules");
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->v[i];

		out_begin_obj(o, NULL);
		out_str(o, "struct", "struct %s", r->name);
		out_str(o, "family", "  (%s)", r->family);
		out_str(o, "writer", ", written by the %s", writer_name(r->writer));
		out_int(o, "align", ", %lld-aligned\n", (long long)r->align);
		out_str(o, "origin", "  defined at %s\n", r->origin);
		out_str(o, "reference", "  reference: %s\n", r->reference);
		out_begin_arr(o, "files");
		for (size_t j = 0; j < r->files.n; j++)
			out_str(o, NULL, "  file     %s\n", r->files.src[j]);
		out_end_arr(o);
		out_begin_arr(o, "functions");
		for (size_t j = 0; j < r->functions.n; j++)
			out_str(o, NULL, "  function %s\n", r->functions.src[j]);
		out_end_arr(o);
		out_begin_arr(o, "members");
		for (size_t j = 0; j < r->nmembers; j++) {
			const struct rule_member *m = &r->members[j];

			out_begin_obj(o, NULL);
			out_str(o, "name", "  member %-20s", m->name);
			out_int(o, "offset", " offset %-4lld", (long long)m->offset);
			out_int(o, "size", " size %lld", (long long)m->size);
			if (m->stride)
				out_int(o, "stride", " stride %lld", (long long)m->stride);
			out_bool(o, "dwarf", m->dwarf ? NULL : " (not a C member)", m->dwarf);
			out_text(o, "\n");
			out_begin_arr(o, "expr");
			for (size_t k = 0; k < m->expr.n; k++)
				out_str(o, NULL, "      expr %s\n", m->expr.src[k]);
			out_end_arr(o);
			if (m->functions.n) {
				out_begin_arr(o, "functions");
				for (size_t k = 0; k < m->functions.n; k++)
					out_str(o, NULL, "      function %s\n", m->functions.src[k]);
				out_end_arr(o);
			}
			out_end_obj(o);
		}
		out_end_arr(o);
		out_text(o, "\n");
		out_end_obj(o);
	}
	out_end_arr(o);
	out_end_obj(o);
	return cmd_close_output(ctx, o, KT_EXIT_OK);
}

int cmd_rules(int argc, char **argv, struct ctx *ctx)
{
	enum { OPT_FORMAT = 256, OPT_RULES };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ NULL, 0, NULL, 0 },
	};
	enum kt_format fmt = KT_FMT_TEXT;
	const char *sub;
	int opt;

	if (argc < 2) {
		cmd_usage(stderr, cmd_find("rules"));
		return KT_EXIT_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (parse_format(ctx, optarg, &fmt) < 0)
				return KT_EXIT_USAGE;
			break;
		case OPT_RULES:
			break;   /* loaded by the dispatcher */
		default:
			cmd_usage(stderr, cmd_find("rules"));
			return KT_EXIT_USAGE;
		}
	}
	if (cmd_no_operands(ctx, "rules", argc, argv, optind) < 0)
		return KT_EXIT_USAGE;
	if (!strcmp(sub, "list"))
		return rules_list(ctx, fmt);
	kt_error(ctx, KT_EXIT_USAGE, NULL, "rules: '%s' is not a subcommand (list)", sub);
	return KT_EXIT_USAGE;
}
