/* test_store.c - the store's two-step adding (store_prepare()), its counts and its brief list rows. */
#define _GNU_SOURCE
#include <stdint.h>

#include "kt.h"
#include "report.h"
#include "store.h"
#include "store_codec.h"
#include "unit.h"

static struct ctx ctx;

/* A report of one access with two frames, printed at log time t. */
static struct report *make_report(const char *t)
{
	struct report *r = report_new();
	struct frame *f;

	r->title = xstrdup("KCSAN: data-race in f / g");
	r->source = xstrdup("test.log");
	r->log_time = xstrdup(t);
	r->rep_pid = r->rep_cpu = -1;
	r->nacc = 1;
	r->acc[0].pid = r->acc[0].cpu = -1;
	f = access_add_frame(&r->acc[0]);
	f->func = xstrdup("f");
	f->off = 0x10, f->size = 0x40, f->has_off = true;
	f = access_add_frame(&r->acc[0]);
	f->func = xstrdup("g\twith a tab");
	sbuf_addf(&r->raw, "[%s] BUG: KCSAN: data-race in f / g\n", t);
	sbuf_adds(&r->norm, "BUG: KCSAN: data-race in f / g\nf+0x10/0x40\n");
	r->cls.verdict = V_REAL_RACE;
	return r;
}

struct seen {
	int n;
	char raw[2][128];
	char func[2][32];
};

static void on_occurrence(struct report *r, int64_t occ_id, const char *stored_at, void *data)
{
	struct seen *s = data;

	(void)occ_id;
	(void)stored_at;
	if (s->n < 2) {
		snprintf(s->raw[s->n], sizeof(s->raw[0]), "%s", sbuf_str(&r->raw));
		snprintf(s->func[s->n], sizeof(s->func[0]), "%s", r->nacc && r->acc[0].nframes > 1 ?
			 r->acc[0].frames[1].func : "-");
	}
	s->n++;
}

/* What a list row says (its strings go with it). */
struct brief {
	int64_t count;
	bool all_truncated;
};

static void on_row(const struct sig_row *s, void *data)
{
	struct brief *b = data;

	b->count = s->count;
	b->all_truncated = s->all_truncated;
}

static void test_prepared(void)
{
	char path[] = "/tmp/kt-store-unit-XXXXXX", db[64], id[REPORT_SIG_ID_LEN + 1];
	struct report *a = make_report("1.000001"), *b = make_report("2.000002");
	struct store_prepared p;
	struct store_added added;
	struct sig_row row;
	struct seen seen = { 0 };
	struct store *st;

	CHECK(mkdtemp(path) != NULL);
	snprintf(db, sizeof(db), "%s/s.db", path);
	st = store_open(&ctx, db, false);
	CHECK(st != NULL);
	if (!st)
		return;
	store_batch(st, true);
	CHECK_INT(store_begin(st, "test.log"), 0);
	/* compressed in a parsing thread, stored by the writer */
	store_prepare(st, a, true, &p);
	CHECK(p.blob != NULL && p.blob_n > 0);
	CHECK_INT(store_add_prepared(st, a, &p, "sub", 1700000000, &added), STORE_ADDED);
	CHECK(added.new_signature);
	store_prepared_release(&p);
	verdict_label_release(&added.label);
	CHECK_INT(store_add_report(st, a, "sub", 1700000000, &added), STORE_DUPLICATE);
	verdict_label_release(&added.label);
	CHECK_INT(store_add_report(st, b, NULL, 1700000001, &added), STORE_ADDED);
	CHECK(!added.new_signature);
	verdict_label_release(&added.label);
	CHECK(store_commit(st, "test.log") >= 0);
	CHECK(store_flush(st, NULL) >= 0);

	CHECK_INT(store_get_signature(st, added.sig_id, &row), 1);
	CHECK_INT(row.count, 2);
	CHECK_STR(row.subsystem, "sub");
	CHECK_INT(store_occurrences(st, &row, 0, on_occurrence, &seen), 0);
	CHECK_INT(seen.n, 2);
	CHECK_STR(seen.raw[0], "[1.000001] BUG: KCSAN: data-race in f / g\n");
	CHECK_STR(seen.raw[1], "[2.000002] BUG: KCSAN: data-race in f / g\n");
	CHECK_STR(seen.func[0], "g\twith a tab");
	CHECK_STR(seen.func[1], "g\twith a tab");
	CHECK_INT(store_signature_id(st, row.id, id), 1);
	CHECK_STR(row.sig_id, id);
	sig_row_release(&row);
	store_close(&ctx, st);
	report_free(a);
	report_free(b);
	unlink(db);
	rmdir(path);
}

static void test_counts(void)
{
	static const char *const what[] = { "verdict", "bug_type", "function", "subsystem", "writer" };
	const long limit[5] = { 0, 0, 1, 1, 0 };
	char path[] = "/tmp/kt-store-unit-XXXXXX", db[64];
	struct report *r[3] = { make_report("1.0"), make_report("2.0"), make_report("3.0") };
	struct count_row *rows[5], *one;
	size_t n[5], n1;
	struct store_added added;
	struct list_filter f = { .verdict = V_NONE, .brief = true, .truncated = true };
	struct brief row = { 0 };
	struct store *st;

	CHECK(mkdtemp(path) != NULL);
	snprintf(db, sizeof(db), "%s/s.db", path);
	st = store_open(&ctx, db, false);
	CHECK(st != NULL);
	if (!st)
		return;
	free(r[2]->title);
	r[2]->title = xstrdup("KCSAN: data-race in h / i");
	sbuf_reset(&r[2]->norm);
	sbuf_adds(&r[2]->norm, "BUG: KCSAN: data-race in h / i\n");
	r[2]->cls.verdict = V_UNKNOWN_ORIGIN;
	r[2]->truncated = true;
	CHECK_INT(store_begin(st, "t"), 0);
	for (int i = 0; i < 3; i++) {
		CHECK(store_add_report(st, r[i], i == 2 ? "other" : NULL, 1700000000, &added) != STORE_FAILED);
		verdict_label_release(&added.label);
	}
	CHECK(store_commit(st, "t") >= 0);
	/* every group in one pass: what one group at a time gives */
	CHECK_INT(store_counts(st, what, 5, limit, rows, n), 0);
	CHECK_INT(n[0], 2);
	CHECK_STR(n[0] ? rows[0][0].key : NULL, "real-race");
	CHECK_INT(n[0] ? rows[0][0].occs : 0, 2);
	CHECK_INT(n[2], 1);
	CHECK_INT(n[3], 1);
	CHECK_STR(n[3] ? rows[3][0].key : NULL, "unknown");   /* by occurrences, then key */
	for (int g = 0; g < 5; g++) {
		CHECK_INT(store_count_by(st, what[g], limit[g], &one, &n1), 0);
		CHECK_INT(n1, n[g]);
		for (size_t i = 0; i < n1 && i < n[g]; i++) {
			CHECK_STR(one[i].key, rows[g][i].key);
			CHECK_INT(one[i].sigs, rows[g][i].sigs);
			CHECK_INT(one[i].occs, rows[g][i].occs);
		}
		count_rows_free(one, n1);
		count_rows_free(rows[g], n[g]);
	}
	/* a brief row: its field as stored, whether every occurrence is cut short */
	f.verdict = V_UNKNOWN_ORIGIN;
	CHECK_INT(store_list(st, &f, on_row, &row), 0);
	CHECK(row.all_truncated);
	f.verdict = V_REAL_RACE;
	CHECK_INT(store_list(st, &f, on_row, &row), 0);
	CHECK(!row.all_truncated);
	CHECK_INT(row.count, 2);
	store_close(&ctx, st);
	for (int i = 0; i < 3; i++)
		report_free(r[i]);
	unlink(db);
	rmdir(path);
}

/* The text forms the store's blobs are made of: numbers without printf, strings escaped. */
static void test_codec_text(void)
{
	struct sbuf sb = SBUF_INIT;
	struct report *r = make_report("3.000003"), *back = report_new();
	struct frame *f = access_add_frame(&r->acc[0]);
	char *enc, *enc2, *err = NULL;

	sbuf_add_dec(&sb, 0);
	sbuf_addc(&sb, ' ');
	sbuf_add_dec(&sb, -1);
	sbuf_addc(&sb, ' ');
	sbuf_add_dec(&sb, INT64_MIN);
	sbuf_addc(&sb, ' ');
	sbuf_add_udec(&sb, UINT64_MAX);
	sbuf_addc(&sb, ' ');
	sbuf_add_hex(&sb, 0);
	sbuf_addc(&sb, ' ');
	sbuf_add_hex(&sb, 0xffff888000b0a282ull);
	CHECK_STR(sbuf_str(&sb), "0 -1 -9223372036854775808 18446744073709551615 0 ffff888000b0a282");
	sbuf_release(&sb);

	f->func = xstrdup("a\\b\nc\td");
	f->file = xstrdup("");
	f->line = 12;
	f->module = NULL;
	r->acc[0].addr = 0xffff888000b0a282ull;
	r->acc[0].has_addr = true;
	r->acc[0].pid = 7;
	enc = store_detail_encode(r);
	CHECK(strstr(enc, "\ta\\\\b\\nc\\td\t") != NULL);
	CHECK_INT(store_detail_decode(enc, strlen(enc), back, &err), 0);
	CHECK_STR(err, NULL);
	CHECK_INT(back->nacc, 1);
	CHECK_INT(back->acc[0].nframes, 3);
	if (back->nacc == 1 && back->acc[0].nframes == 3) {
		CHECK_STR(back->acc[0].frames[1].func, "g\twith a tab");
		CHECK_STR(back->acc[0].frames[2].func, "a\\b\nc\td");
		CHECK_STR(back->acc[0].frames[2].file, "");
		CHECK_STR(back->acc[0].frames[2].module, NULL);
		CHECK_INT(back->acc[0].frames[2].line, 12);
		CHECK_INT(back->acc[0].addr, 0xffff888000b0a282ull);
		CHECK_INT(back->acc[0].pid, 7);
	}
	enc2 = store_detail_encode(back);
	CHECK_STR(enc2, enc);
	free(enc);
	free(enc2);
	free(err);
	report_free(r);
	report_free(back);
}

UNIT_MAIN(TEST(test_prepared), TEST(test_counts), TEST(test_codec_text))
