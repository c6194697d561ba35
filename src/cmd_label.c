/* cmd_label.c - kcsan-triage label: a person's verdict, which wins everywhere. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "store.h"
#include "triage.h"

struct label_opts {
	int as;                     /* enum verdict; V_NONE: not given */
	const char *note;
	bool clear;
	const char *file;
};

static const struct option_spec label_specs[] = {
	OPT_ENUM("as", struct label_opts, as, opt_verdicts, NULL, "the verdict to record"),
	OPT_STRING("note", "TEXT", struct label_opts, note, "why (kept with the label)"),
	OPT_FLAG("clear", 0, struct label_opts, clear, "remove the label (the tool's verdict counts)"),
	OPT_STRING("file", "FILE", struct label_opts, file,
		   "apply a triage file's labels (kcsan-triage export --labels) to the reports in the store"),
	OPT_END(),
};
const struct option_table cmd_label_options = OPT_TABLE(struct label_opts, label_specs);

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

/*
 * A triage file's labels, in one transaction: those of reports the store
 * holds are set ("-" entries and unknown IDs change nothing).
 */
static int label_file(struct ctx *ctx, const char *path)
{
	struct triage t = { 0 };
	size_t changed = 0, known = 0, labels = 0;
	int rc = KT_EXIT_OK;

	if (triage_load(ctx, path, &t) < 0)
		return KT_EXIT_USAGE;
	if (store_begin(ctx->store, NULL) < 0) {
		triage_release(&t);
		return KT_EXIT_STORE;
	}
	for (size_t i = 0; i < t.n && rc == KT_EXIT_OK; i++) {
		int has, set;

		if (t.e[i].verdict == V_NONE)
			continue;
		labels++;
		has = store_has_signature(ctx->store, t.e[i].id);
		set = has > 0 ? store_set_label_by_signature(ctx->store, t.e[i].id, t.e[i].verdict, t.e[i].note,
							      ctx->now) : 0;
		if (has < 0 || set < 0)
			rc = KT_EXIT_STORE;
		known += has > 0;
		changed += set > 0;
	}
	triage_release(&t);
	if (rc != KT_EXIT_OK) {
		store_rollback(ctx->store);
		return rc;
	}
	if (store_commit(ctx->store, NULL) < 0)
		return KT_EXIT_STORE;
	if (!ctx->quiet)
		printf("%s: %zu label%s, %zu of them for reports in the store, %zu changed\n", path, labels,
		       labels == 1 ? "" : "s", known, changed);
	return KT_EXIT_OK;
}

int cmd_label(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct label_opts *lo = opts;
	const char *note = lo->note;
	bool clear = lo->clear;
	int rc;

	if (lo->file) {
		if (argc > 0 || clear || lo->as != V_NONE || note) {
			kt_error(ctx, KT_EXIT_USAGE, NULL, "label --file takes no IDs, --as, --note or --clear");
			return KT_EXIT_USAGE;
		}
		rc = label_file(ctx, lo->file);
		return rc != KT_EXIT_OK ? rc : cmd_finish_output(ctx, KT_EXIT_OK);
	}
	if (clear == (lo->as != V_NONE)) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs --as VERDICT or --clear");
		return KT_EXIT_USAGE;
	}
	if (argc < 1) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "label needs report IDs (see '%s list')", KT_PROG);
		return KT_EXIT_USAGE;
	}
	rc = label_apply(ctx, argv, argc, clear ? V_NONE : (enum verdict)lo->as, note);
	if (rc != KT_EXIT_OK)
		return rc;
	return cmd_finish_output(ctx, KT_EXIT_OK);
}
