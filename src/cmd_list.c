/* cmd_list.c - kcsan-triage list: the reports in the store. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "render.h"
#include "store.h"

static const struct column list_cols[] = {
	{ .key = "mark", .head = "" },                    /* a terminal's: N new, T truncated, L labelled */
	{ .key = "id", .head = "ID", .right = 1 },
	{ .key = "signature", .head = "SIGNATURE" },      /* report_signature_id(): stable, for triage files */
	{ .key = "verdict", .head = "VERDICT" },          /* the label when there is one */
	{ .key = "tool_verdict", .head = "TOOL VERDICT", .json_only = 1 },
	{ .key = "label", .head = "LABEL" },
	{ .key = "count", .head = "COUNT", .right = 1 },
	{ .key = "first_seen", .head = "FIRST SEEN" },
	{ .key = "last_seen", .head = "LAST SEEN" },
	{ .key = "field", .head = "FIELD" },
	{ .key = "title", .head = "TITLE" },   /* on a terminal without "KCSAN: data-race in " */
};

/* How a terminal lays the table out: the marks, the day of the last sighting, what fits its width. */
static void list_tty_layout(struct table *t)
{
	table_tty(t, "mark", TABLE_TTY_ONLY);
	table_tty(t, "signature", TABLE_TTY_HIDE);
	table_tty(t, "label", TABLE_TTY_HIDE);
	table_tty(t, "first_seen", TABLE_TTY_HIDE);
	table_tty(t, "last_seen", TABLE_TTY_DATE | TABLE_TTY_DROP);
	table_tty(t, "field", TABLE_TTY_SHRINK_FIRST);
	table_tty(t, "title", TABLE_TTY_SHRINK);
}

struct list {
	struct ctx *ctx;
	struct table *t;
	bool terminal;
	char *latest;               /* the latest scan's time: the greatest last_seen */
	bool marked[3];             /* a mark shown: new, truncated, labelled */
};

/* N: first seen in the latest scan; T: every occurrence cut short; L: a person's label (in m). */
static const char *list_marks(struct list *l, const struct sig_row *s, char m[4])
{
	bool truncated = s->all_truncated;
	char *p = m;

	if (l->latest && s->first_seen && !strcmp(s->first_seen, l->latest)) {
		*p++ = 'N';
		l->marked[0] = true;
	}
	if (truncated) {
		*p++ = 'T';
		l->marked[1] = true;
	}
	if (s->label.verdict != V_NONE) {
		*p++ = 'L';
		l->marked[2] = true;
	}
	*p = '\0';
	return m;
}

static void list_row(const struct sig_row *s, void *data)
{
	struct list *l = data;
	struct table *t = l->t;
	char m[4], *short_title = NULL;
	const char *marks = l->terminal ? list_marks(l, s, m) : "";
	/* the rows are brief (cmd_list()'s filter): their verdict is as stored, with its field */
	const char *field = s->cls.stored.field;
	enum verdict v = effective_verdict(s->cls.verdict, &s->label);
	const char *title = s->display_title;

	/* a terminal's row has no room for what every title says */
	if (l->terminal && title && str_startswith(title, "KCSAN: "))
		title += strlen("KCSAN: ");
	if (l->terminal && title && str_startswith(title, "data-race in "))
		title += strlen("data-race in ");
	if (l->terminal && title && str_startswith(title, "assert: race in "))
		title = short_title = xasprintf("assert: %s", title + strlen("assert: race in "));
	table_str_style(t, marks, strchr(marks, 'N') ? STYLE_NEW : strchr(marks, 'T') ? STYLE_WARN : STYLE_NONE);
	table_int(t, s->id);
	table_str(t, s->sig_id);
	table_str_style(t, verdict_name(v), verdict_style(v));
	table_str(t, verdict_name(s->cls.verdict));
	table_label(t, &s->label);
	table_int(t, s->count);
	table_str(t, s->first_seen);
	table_str(t, s->last_seen);
	table_str_style(t, field, field ? STYLE_NONE : STYLE_DIM);
	table_str(t, title);
	free(short_title);
}

static void list_latest(const struct sig_row *s, void *data)
{
	char **latest = data;

	free(*latest);
	*latest = s->last_seen ? xstrdup(s->last_seen) : NULL;
}

/* Under the table on a terminal: what the marks shown mean, within its width. */
static void list_legend(struct out *o, const struct list *l)
{
	static const char *const meaning[] = {
		"N new in the latest scan", "T truncated (every occurrence cut short)", "L labelled by a person",
	};
	int pos = -1, width = out_columns(o);

	for (int i = 0; i < 3; i++) {
		int len = (int)strlen(meaning[i]);

		if (!l->marked[i])
			continue;
		if (pos < 0 || pos + 2 + len > width) {
			out_text(o, "\n");
			pos = 0;
		} else {
			out_text(o, ", ");
			pos += 2;
		}
		out_text_style(o, STYLE_DIM, meaning[i]);
		pos += len;
	}
	if (pos >= 0)
		out_text(o, "\n");
}

struct list_opts {
	struct opt_output out;
	int verdict;                /* enum verdict; V_NONE: any */
	const char *grep;
	const char *extid;
	long limit;
	int sort;                   /* enum list_order + 1; 0: attention on a terminal, else by ID */
};

static const struct opt_choice list_sorts[] = {
	{ "attention", LIST_BY_ATTENTION + 1 },
	{ "count", LIST_BY_COUNT + 1 },
	{ "last-seen", LIST_BY_LAST_SEEN + 1 },
	{ "id", LIST_BY_ID + 1 },
	{ NULL, 0 },
};

static const struct option_spec list_specs[] = {
	OPT_INCLUDE_AT(opt_group_output_csv, struct list_opts, out),
	OPT_ENUM("verdict", struct list_opts, verdict, opt_verdicts, NULL,
		 "only reports with this verdict (or label)"),
	OPT_STRING("grep", "TEXT", struct list_opts, grep,
		   "only reports whose title, field, function or subsystem has TEXT, or an occurrence's "
		   "syzbot extid, HEAD commit, mail Subject: or Message-ID:"),
	OPT_STRING("extid", "EXTID", struct list_opts, extid,
		   "only reports that syzbot reported as EXTID (Reported-by: syzbot+EXTID@...)"),
	OPT_INT("limit", "N", struct list_opts, limit, 0, NULL, "at most N reports (0: all)"),
	OPT_ENUM("sort", struct list_opts, sort, list_sorts, NULL,
		 "the order: what needs attention first (a terminal's default), by count, last seen, or ID (piped)"),
	OPT_END(),
};
const struct option_table cmd_list_options = OPT_TABLE(struct list_opts, list_specs);

int cmd_list(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct list_opts *lo = opts;
	struct list_filter f = {
		.verdict = (enum verdict)lo->verdict,
		.grep = lo->grep,
		.extid = lo->extid,
		.limit = lo->limit,
	};
	struct list_filter last = { .verdict = V_NONE, .limit = 1, .order = LIST_BY_LAST_SEEN };
	enum kt_format fmt = (enum kt_format)lo->out.format;
	struct list l = { .ctx = ctx };
	struct out *o;
	int rc = 0;

	(void)argc;
	(void)argv;
	o = out_new_stdout(ctx, fmt);
	l.terminal = out_terminal(o);
	f.order = lo->sort ? (enum list_order)(lo->sort - 1) : l.terminal ? LIST_BY_ATTENTION : LIST_BY_ID;
	f.truncated = l.terminal;
	f.brief = true;
	/* the rows streamed, from one state of the store */
	rc = store_snapshot(ctx->store, true);
	if (rc == 0 && l.terminal)
		rc = store_list(ctx->store, &last, list_latest, &l.latest);
	out_begin_obj(o, NULL);
	out_int(o, "schema_version", NULL, SCHEMA_VERSION);
	l.t = table_begin(o, "reports", list_cols, (int)(sizeof(list_cols) / sizeof(list_cols[0])));
	list_tty_layout(l.t);
	table_stream(l.t);
	if (rc == 0)
		rc = store_list(ctx->store, &f, list_row, &l);
	if (table_end(l.t) < 0)
		kt_error(ctx, KT_EXIT_INTERNAL, NULL, "the list's rows could not be kept in a temporary file: %s",
			 strerror(errno));
	if (store_snapshot(ctx->store, false) < 0)
		rc = -1;
	if (l.terminal)
		list_legend(o, &l);
	out_end_obj(o);
	free(l.latest);
	return cmd_close_output(ctx, o, rc < 0 ? KT_EXIT_STORE : KT_EXIT_OK);
}
