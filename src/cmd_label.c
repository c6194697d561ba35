/* cmd_label.c - kcsan-triage label: a person's verdict, which wins everywhere. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "store.h"

/* Every ID, checked before anything is labelled: all or nothing. */
static int label_ids(struct ctx *ctx, char **args, int n, long long *ids)
{
	int rc = KT_EXIT_OK;

	for (int i = 0; i < n; i++) {
		const char *a = args[i][0] == '#' ? args[i] + 1 : args[i];
		struct sig_row row;
		char *end;
		int found;

		ids[i] = strtoll(a, &end, 10);
		if (*end || !*a || ids[i] <= 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "'%s' is not a report ID", args[i]);
			rc = KT_EXIT_USAGE;
			continue;
		}
		found = store_get_signature(ctx->store, ids[i], &row);
		if (found < 0)
			return KT_EXIT_STORE;
		sig_row_release(&row);
		if (found == 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "no report #%lld in %s", ids[i], store_path(ctx->store));
			rc = KT_EXIT_USAGE;
		}
	}
	return rc;
}

/*
 * Label (or clear) every ID in one transaction, after checking them all in
 * it; say so only once it is committed.
 */
static int label_apply(struct ctx *ctx, char **args, int n, enum verdict v, const char *note)
{
	long long *ids = xcalloc((size_t)n, sizeof(*ids));
	int rc;

	if (store_begin(ctx->store, NULL) < 0) {
		free(ids);
		return KT_EXIT_STORE;
	}
	rc = label_ids(ctx, args, n, ids);
	for (int i = 0; i < n && rc == KT_EXIT_OK; i++)
		if (store_set_label(ctx->store, ids[i], v, note, ctx->now) <= 0)
			rc = KT_EXIT_STORE;
	if (rc != KT_EXIT_OK) {
		store_rollback(ctx->store);
		free(ids);
		return rc;
	}
	if (store_commit(ctx->store, NULL) < 0) {
		free(ids);
		return KT_EXIT_STORE;
	}
	if (!ctx->quiet)
		for (int i = 0; i < n; i++)
			printf("#%lld %s\n", ids[i], v == V_NONE ? "label cleared" : verdict_name(v));
	free(ids);
	return KT_EXIT_OK;
}

int cmd_label(int argc, char **argv, struct ctx *ctx)
{
	enum { OPT_AS = 256, OPT_NOTE, OPT_CLEAR };
	static const struct option opts[] = {
		{ "as", required_argument, NULL, OPT_AS },
		{ "note", required_argument, NULL, OPT_NOTE },
		{ "clear", no_argument, NULL, OPT_CLEAR },
		{ NULL, 0, NULL, 0 },
	};
	const char *as = NULL, *note = NULL;
	bool clear = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_AS:
			if (verdict_from_name(optarg) < 0) {
				kt_error(ctx, KT_EXIT_USAGE, NULL,
					 "--as takes device-origin, real-race or unknown-origin, not '%s'", optarg);
				return KT_EXIT_USAGE;
			}
			as = optarg;
			break;
		case OPT_NOTE:
			note = optarg;
			break;
		case OPT_CLEAR:
			clear = true;
			break;
		default:
			cmd_usage(stderr, cmd_find("label"));
			return KT_EXIT_USAGE;
		}
	}
	if (clear == (as != NULL)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs --as VERDICT or --clear");
		return KT_EXIT_USAGE;
	}
	if (optind >= argc) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs report IDs (see '%s list')", KT_PROG);
		return KT_EXIT_USAGE;
	}
	rc = label_apply(ctx, argv + optind, argc - optind, clear ? V_NONE : (enum verdict)verdict_from_name(as),
			 note);
	if (rc != KT_EXIT_OK)
		return rc;
	return cmd_finish_output(ctx, KT_EXIT_OK);
}
