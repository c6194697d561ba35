/* cmd_label.c - kcsan-triage label: a person's verdict, which wins everywhere. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "store.h"

struct label_opts {
	int as;                     /* enum verdict; V_NONE: not given */
	const char *note;
	bool clear;
};

static const struct option_spec label_specs[] = {
	OPT_ENUM("as", struct label_opts, as, opt_verdicts, NULL, "the verdict to record"),
	OPT_STRING("note", "TEXT", struct label_opts, note, "why (kept with the label)"),
	OPT_FLAG("clear", 0, struct label_opts, clear, "remove the label (the tool's verdict counts)"),
	OPT_END(),
};
const struct option_table cmd_label_options = OPT_TABLE(struct label_opts, label_specs);

int cmd_label(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct label_opts *lo = opts;
	const char *as = lo->as ? verdict_name((enum verdict)lo->as) : NULL, *note = lo->note;
	bool clear = lo->clear;
	int rc = KT_EXIT_OK;

	if (clear == (as != NULL)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs --as VERDICT or --clear");
		return KT_EXIT_USAGE;
	}
	if (argc < 1) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs report IDs (see '%s list')", KT_PROG);
		return KT_EXIT_USAGE;
	}
	if (store_begin(ctx->store, NULL) < 0)
		return KT_EXIT_STORE;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i][0] == '#' ? argv[i] + 1 : argv[i];
		char *end;
		long long id = strtoll(a, &end, 10);
		int r;

		if (*end || id <= 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a report ID", argv[i]);
			rc = KT_EXIT_USAGE;
			continue;
		}
		r = store_set_label(ctx->store, id, clear ? NULL : as, note, ctx->now);
		if (r < 0) {
			store_rollback(ctx->store);
			return KT_EXIT_STORE;
		}
		if (r == 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "no report #%lld in %s", id, store_path(ctx->store));
			rc = KT_EXIT_USAGE;
			continue;
		}
		if (!ctx->quiet)
			printf("#%lld %s\n", id, clear ? "label cleared" : as);
	}
	if (rc != KT_EXIT_OK) {
		/* all or nothing */
		store_rollback(ctx->store);
		return rc;
	}
	if (store_commit(ctx->store, NULL) < 0)
		return KT_EXIT_STORE;
	return cmd_finish_output(ctx, KT_EXIT_OK);
}
