/* cmd_cost.c - kcsan-triage cost: what a patch does to an object's size and instructions. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "cost.h"
#include "render.h"

struct cost_args {
	enum kt_format fmt;
	struct cost_opts opts;
	const char *old, *new;
};

/* The options, in one place: 0, or the exit code (reported). */
static int cost_parse_args(struct ctx *ctx, int argc, char **argv, struct cost_args *a)
{
	enum { OPT_FORMAT = 256, OPT_FUNCTION };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "function", required_argument, NULL, OPT_FUNCTION },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_FORMAT:
			if (parse_format(ctx, optarg, &a->fmt) < 0)
				return KT_EXIT_USAGE;
			break;
		case OPT_FUNCTION:
			a->opts.func_re = xrealloc(a->opts.func_re, (size_t)(a->opts.nfunc_re + 1) * sizeof(char *));
			a->opts.func_re[a->opts.nfunc_re++] = optarg;
			break;
		default:
			cmd_usage(stderr, cmd_find("cost"));
			return KT_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "cost takes two objects, OLD and NEW (%d given)", argc - optind);
		return KT_EXIT_USAGE;
	}
	a->old = argv[optind];
	a->new = argv[optind + 1];
	return 0;
}

/* Objects that cannot be compared: 0, or the exit code (reported). */
static int cost_check_pair(struct ctx *ctx, const struct cost_obj *old, const struct cost_obj *new)
{
	if (old->machine != new->machine || old->elfclass != new->elfclass) {
		kt_error(ctx, KT_EXIT_SYMBOLS, new->path, "a different architecture (%s, %d-bit) from %s (%s, %d-bit): nothing to compare",
			 cost_machine_name(new->machine), new->elfclass == 2 ? 64 : 32, old->path,
			 cost_machine_name(old->machine), old->elfclass == 2 ? 64 : 32);
		return KT_EXIT_SYMBOLS;
	}
	if (!old->nbyaddr)
		kt_warn(ctx, old->path, "no symbol table (stripped): section totals only");
	if (!new->nbyaddr)
		kt_warn(ctx, new->path, "no symbol table (stripped): section totals only");
	return 0;
}

int cmd_cost(int argc, char **argv, struct ctx *ctx)
{
	struct cost_args a = { KT_FMT_TEXT, { NULL, 0 }, NULL, NULL };
	struct cost_obj *old = NULL, *new = NULL;
	struct cost_result res;
	struct out *o;
	int rc = cost_parse_args(ctx, argc, argv, &a);

	if (rc)
		goto out;
	old = cost_obj_open(ctx, a.old);
	new = old ? cost_obj_open(ctx, a.new) : NULL;
	if (!old || !new) {
		rc = KT_EXIT_SYMBOLS;
		goto out;
	}
	rc = cost_check_pair(ctx, old, new);
	if (rc)
		goto out;
	if (cost_compare(ctx, old, new, &a.opts, &res) < 0) {
		rc = KT_EXIT_USAGE;
		goto out;
	}
	if (res.unrelated)
		kt_warn(ctx, a.new, "looks unrelated to %s: only %ld symbols match by name; comparing those",
			a.old, res.n_matched);
	o = out_new(stdout, a.fmt);
	cost_render(o, &res);
	cost_result_release(&res);
	rc = cmd_close_output(ctx, o, KT_EXIT_OK);
out:
	cost_obj_free(old);
	cost_obj_free(new);
	free(a.opts.func_re);
	return rc;
}
