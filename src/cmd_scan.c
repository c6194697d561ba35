/* cmd_scan.c - kcsan-triage scan: find, triage and store KCSAN reports. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "cmds.h"
#include "facts.h"
#include "hashmap.h"
#include "layout.h"
#include "maintainers.h"
#include "pipeline.h"
#include "progress.h"
#include "render.h"
#include "render_ci.h"
#include "rules.h"
#include "srctree.h"
#include "store.h"
#include "store_files.h"
#include "sym.h"
#include "triage.h"

/* One row per distinct report of this scan, for the text table. */
struct agg {
	struct hashmap_entry ent;   /* by signature */
	char sig[33];
	int64_t id;
	size_t count;
	char *title, *where, *field, *reason;
	enum verdict verdict, computed;
	enum writer writer;
	enum confidence conf;
	bool labelled;
	/* for the gate and the CI documents */
	char sig_id[REPORT_SIG_ID_LEN + 1];
	unsigned seen;          /* FAIL() of the effective verdict of every occurrence */
	bool is_new, fails;
	char *log, *file, *text, *evidence, *marking, *label_note;
	uint64_t log_line, line;
};

/* scan --format: text and json, and the CI documents */
enum scan_doc { SCAN_DOC_TEXT = KT_FMT_TEXT, SCAN_DOC_JSON = KT_FMT_JSON, SCAN_DOC_SARIF = 16, SCAN_DOC_JUNIT };

/* A worker's classifier (scan --jobs) and the source tree it reads. */
struct scan_worker_cls {
	struct classifier *cls;
	struct srctree *src;
};

/* What the pipeline's threads make of a report for the writer (cfg.prepare). */
struct scan_prep {
	char sig[33];                  /* report_signature() */
	bool prepared;                 /* with a store: st is store_prepare()'s */
	struct store_prepared st;
	struct agg *agg;               /* its row of the text summary, were it the first of its signature */
};

/* What a file or a batch of files added to the store. */
struct scan_stored {
	size_t added, dups, upgraded;
};

struct scan {
	struct ctx *ctx;
	struct out *out;
	enum kt_format fmt;
	enum scan_doc doc;
	unsigned fail_mask;
	bool new_only;          /* --new: only signatures no baseline held fail */
	bool has_baseline;      /* --baseline: it, not the store, says what is known */
	struct triage triage;   /* --triage: the labels to apply */
	struct triage known;    /* the signatures known before this scan: --baseline and --triage */
	size_t triage_applied, new_distinct, failing;
	bool force_text;
	bool store_ok;          /* the file's transaction is open */
	/*
	 * A stream (a pipe, FIFO or terminal: cfg.before_file() says so of the
	 * next file) is stored a report at a time, each in a transaction of
	 * its own: nothing is held while it waits, what it gave is in the store.
	 */
	bool stream_next, stream, stream_ok;
	char *stream_name;
	/* counts; of the store's, only what was committed */
	size_t files, reports, added, dups, upgraded, truncated;
	struct scan_stored file, batch;   /* not yet committed: this file's, the open batch's */
	size_t batch_files;
	size_t by_verdict[4];
	bool findings;
	/* the distinct reports: found by signature, listed in the order first seen */
	struct hashmap aggs;
	struct agg **agg;
	size_t nagg, aggcap;
	/* --jobs: the pipeline (its symbolizer lock), the workers' classifiers and trees */
	struct pipeline *pl;
	const char *src_dir;
	struct scan_worker_cls *wcls;
	size_t nwcls, wclscap;
	bool src_used, src_found;   /* by the workers' trees, for srctree_matched() */
	struct progress *progress;
	/* whether the threads compress what they prepare: most of the recent reports were new
	   (a bit each, 1 new), so that a rescan compresses nothing it does not store */
	_Atomic bool zip;
	uint64_t recent_new;
	/*
	 * The files read whole before (store_files.h): with a store and no
	 * --src, each file read whole is recorded; with text output and no
	 * --reparse, one unchanged is counted from its record, not parsed.
	 */
	struct store_files *recs;
	bool reparse;                   /* --reparse: record, never count a record instead of parsing */
	bool record;
	int said;                       /* diagnostics when this file began (the writer's) */
};

static struct agg *agg_find(struct scan *s, const char sig[33]);

struct scan_fsig {
	struct hashmap_entry ent;
	char sig[33];
};

/* A file's record, made by the thread that parses it (cfg.file_report, file_done). */
struct scan_frec {
	struct store_file_report *v;   /* its reports (until file_done) */
	size_t n, cap;
	struct hashmap sigs;           /* and their signatures (struct scan_fsig): a first has its title */
	void *blob;                    /* file_done: the row's reports (store_files_pack()), NULL: failed */
	size_t blob_n;
};

#define FAIL(v) (1u << (v))

/* Member layouts for the classifier, from the vmlinux (or a module's) DWARF (the symbolizer's lock held). */
static int dwarf_layout(void *data, const char *module, const char *struct_name, const char *member,
			uint64_t *offset, uint64_t *size, uint64_t *stride)
{
	struct scan *s = data;
	int rc;

	pipeline_lock_sym(s->pl);
	rc = layout_member(sym_layout(s->ctx->sym, module), struct_name, member, offset, size, stride);
	pipeline_unlock_sym(s->pl);
	return rc;
}

/* The variable behind an access's address, from the symbolizer (its lock held). */
static void scan_variable(void *data, const struct report *r, int acc, struct cls_variable *out)
{
	struct scan *s = data;

	pipeline_lock_sym(s->pl);
	sym_variable_of(s->ctx->sym, r, acc, out);
	pipeline_unlock_sym(s->pl);
}

/* What a classifier asks the symbolizer: member layouts and variables. */
static void scan_cls_symbols(struct scan *s, struct classifier *cls)
{
	classifier_set_layout(cls, dwarf_layout, s);
	classifier_set_variable(cls, scan_variable, s);
}

/* A classifier for a worker of --jobs, with a source tree of its own. */
static struct classifier *scan_worker_cls(void *data)
{
	struct scan *s = data;
	struct scan_worker_cls *w;

	ALLOC_GROW(s->wcls, s->nwcls, s->wclscap);
	w = &s->wcls[s->nwcls++];
	w->src = srctree_new(s->src_dir);
	w->cls = classifier_new(s->ctx->rules, w->src);
	if (s->ctx->sym)
		scan_cls_symbols(s, w->cls);
	return w->cls;
}

static void scan_worker_cls_free(struct classifier *c, void *data)
{
	struct scan *s = data;

	for (size_t i = 0; i < s->nwcls; i++) {
		struct scan_worker_cls *w = &s->wcls[i];

		if (w->cls != c)
			continue;
		s->src_used |= srctree_used(w->src);
		s->src_found |= srctree_used(w->src) && srctree_matched(w->src);
		classifier_free(w->cls);
		srctree_free(w->src);
		w->cls = NULL;
		w->src = NULL;
	}
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One verdict of --fail-on: its FAIL() bits, or -1. */
static int scan_fail_on_word(const char *tok, size_t len, unsigned *mask)
{
	char word[32];
	int v;

	if (len == 0 || len >= sizeof(word))
		return -1;
	memcpy(word, tok, len);
	word[len] = '\0';
	if (!strcmp(word, "none"))
		return 0;
	if (!strcmp(word, "any")) {
		*mask |= FAIL(V_DEVICE_ORIGIN) | FAIL(V_REAL_RACE) | FAIL(V_UNKNOWN_ORIGIN);
		return 0;
	}
	v = verdict_from_name(word);
	if (v < 0)
		return -1;
	*mask |= FAIL(v);
	return 0;
}

/* "real-race,unknown-origin": every word a verdict, any or none; no empty list or word. */
static int parse_fail_on(struct ctx *ctx, const char *s, unsigned *mask)
{
	const char *p = s;

	*mask = 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		if (scan_fail_on_word(p, len, mask) < 0) {
			kt_error(ctx, KT_EXIT_USAGE, NULL,
				 "--fail-on takes a comma-separated list of verdicts (device-origin, real-race, "
				 "unknown-origin), any or none, not '%s'", s);
			return -1;
		}
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* ---------------------------------------------------------------------- */
/* the store: files in batches, each file all or nothing */

/* SIGINT or SIGTERM: the file being read ends there, the rest are not read. */
static _Atomic int scan_signal;   /* lock-free: a signal handler may store it */

static void scan_on_signal(int sig)
{
	scan_signal = sig;
}

static void stored_add(struct scan_stored *to, struct scan_stored *from)
{
	to->added += from->added;
	to->dups += from->dups;
	to->upgraded += from->upgraded;
	memset(from, 0, sizeof(*from));
}

/* The open batch was committed (rc 1) or lost (rc -1), with the file name (the batch's last, or NULL). */
static void scan_batch_done(struct scan *s, const char *name, int rc)
{
	if (rc > 0) {
		s->added += s->batch.added;
		s->dups += s->batch.dups;
		s->upgraded += s->batch.upgraded;
	} else if (rc < 0 && s->batch_files > 1) {
		kt_error(s->ctx, KT_EXIT_STORE, name, "nothing from %s%zu file%s before it was stored",
			 name ? "this file and the " : "the ", s->batch_files - 1, s->batch_files == 2 ? "" : "s");
	} else if (rc < 0) {
		kt_error(s->ctx, KT_EXIT_STORE, name, "nothing from this file was stored");
	}
	if (rc != 0) {
		memset(&s->batch, 0, sizeof(s->batch));
		s->batch_files = 0;
	}
}

/* The row of a file read whole: its reports as they were packed (fr NULL: there were none). */
static int scan_record_put(struct scan *s, const char *name, const struct store_file_id *id,
			   const struct scan_frec *fr)
{
	void *blob;
	size_t n;
	int rc;

	if (fr)
		return fr->blob ? store_files_put(s->recs, name, id, fr->blob, fr->blob_n) : -1;
	if (store_files_pack(s->recs, NULL, 0, &blob, &n) < 0)
		return -1;
	rc = store_files_put(s->recs, name, id, blob, n);
	free(blob);
	return rc;
}

/* The file was read whole and nothing was said: its record, in its transaction.  0, or -1 (reported). */
static int scan_record_file(struct scan *s, const char *name, const struct pipeline_file *f)
{
	struct store_file_id id = { .size = f->size };

	if (!s->record || !f->clean || f->replayed || s->said != s->ctx->warnings + s->ctx->errors ||
	    rules_limit_hits(s->ctx->rules))
		return 0;
	memcpy(id.hash, f->hash, sizeof(id.hash));
	/* the row of this name, content and fingerprint says what this parse found: a rescan writes nothing
	   (--reparse writes it again) */
	if (!s->reparse && store_files_find(s->recs, name, &id))
		return 0;
	if (scan_record_put(s, name, &id, f->made) == 0)
		return 0;
	kt_error(s->ctx, KT_EXIT_STORE, name, "cannot record the file in the store: %s",
		 sqlite3_errmsg(store_files_db(s->recs)));
	return -1;
}

static void scan_file_begin(const char *name, void *data)
{
	struct scan *s = data;

	s->said = s->ctx->warnings + s->ctx->errors;
	s->files++;
	s->store_ok = false;
	memset(&s->file, 0, sizeof(s->file));
	s->stream = s->stream_next;
	s->stream_next = false;
	if (s->stream) {
		/* (its reports are stored one at a time: scan_stream_begin()) */
		s->stream_ok = true;
		free(s->stream_name);
		s->stream_name = xstrdup(name ? name : "-");
		return;
	}
	if (s->ctx->store)
		s->store_ok = store_begin(s->ctx->store, name) == 0;
}

static void scan_file_end(const char *name, int rc, const struct pipeline_file *f, void *data)
{
	struct scan *s = data;

	/* a read error keeps what was read: those reports are whole (and the file is not recorded) */
	if (!s->ctx->store || s->stream) {
		s->stream = false;      /* (a stream's reports are committed) */
		return;
	}
	if (s->store_ok && f && rc == 0 && scan_record_file(s, name, f) < 0)
		s->store_ok = false;
	if (!s->store_ok) {
		if (store_rollback(s->ctx->store) < 0) {
			s->batch_files++;   /* this one, and the batch before it */
			scan_batch_done(s, name, -1);
		} else {
			kt_error(s->ctx, KT_EXIT_STORE, name, "nothing from this file was stored");
		}
		return;
	}
	stored_add(&s->batch, &s->file);
	s->batch_files++;
	scan_batch_done(s, name, store_commit(s->ctx->store, name));
}

static void scan_file_done(const char *name, int rc, const struct pipeline_file *f, void *data)
{
	struct scan *s = data;

	scan_file_end(name, rc, f, data);
	progress_file_done(s->progress);
}

static bool agg_eq_fsig(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	(void)key;
	return !memcmp(container_of(e, struct scan_fsig, ent)->sig, keydata, 33);
}

/* The writer: one more report stored new or not, for what the threads compress. */
static void scan_note_new(struct scan *s, bool is_new)
{
	bool zip;

	s->recent_new = s->recent_new << 1 | is_new;
	zip = __builtin_popcountll(s->recent_new) >= 32;
	if (zip != atomic_load_explicit(&s->zip, memory_order_relaxed))
		atomic_store_explicit(&s->zip, zip, memory_order_relaxed);
}

/* Store a report; its effective verdict (a person's label wins over the tool's). */
static enum verdict scan_store_report(struct scan *s, struct report *r, const char *subsystem,
				      const struct scan_prep *p, struct store_added *added)
{
	enum store_result res;

	if (!s->ctx->store || !s->store_ok)
		return r->cls.verdict;
	if (p && p->prepared)
		res = store_add_prepared(s->ctx->store, r, &p->st, subsystem, s->ctx->now, added);
	else
		res = store_add_report(s->ctx->store, r, subsystem, s->ctx->now, added);
	scan_note_new(s, res == STORE_ADDED || res == STORE_UPGRADED);
	switch (res) {
	case STORE_ADDED: s->file.added++; break;
	case STORE_UPGRADED: s->file.upgraded++; break;
	case STORE_DUPLICATE: s->file.dups++; break;
	case STORE_FAILED:
		/* the file's transaction is rolled back at its end */
		s->store_ok = false;
		break;
	}
	/* the report shows the verdict that counts: its label's (the report owns it now) */
	r->label = added->label;
	if (res != STORE_FAILED && added->sig_id)
		return added->effective;
	return r->cls.verdict;
}

/* ---------------------------------------------------------------------- */
/* the gate: what is known, what fails */

/* Did the store (or the baseline, or the triage file) hold the signature before this scan? */
static bool scan_known(struct scan *s, const char *sig_id, const struct store_added *added, bool stored)
{
	if (triage_find(&s->known, sig_id))
		return true;
	if (s->has_baseline)
		return false;
	return stored && !added->new_signature;
}

/*
 * The triage file's label for the report, when it has one: it wins (over
 * the store's too), and the store keeps it.
 */
static enum verdict scan_apply_triage(struct scan *s, struct report *r, const char sig[33],
				      const struct store_added *added, enum verdict eff)
{
	char id[REPORT_SIG_ID_LEN + 1];
	const struct triage_entry *e;
	char when[32];

	if (!s->triage.n)
		return eff;
	memcpy(id, sig, REPORT_SIG_ID_LEN);
	id[REPORT_SIG_ID_LEN] = '\0';
	e = triage_find(&s->triage, id);
	if (!e || e->verdict == V_NONE)
		return eff;
	if (s->ctx->store && s->store_ok && added->sig_id) {
		int rc = store_set_label_by_signature(s->ctx->store, id, e->verdict, e->note, s->ctx->now);

		if (rc < 0)
			s->store_ok = false;
		s->triage_applied += rc > 0;
	}
	if (r->label.verdict != e->verdict || strcmp(r->label.note ? r->label.note : "", e->note ? e->note : "")) {
		verdict_label_release(&r->label);
		kt_format_time(s->ctx->now, when);
		r->label.verdict = e->verdict;
		r->label.note = e->note ? xstrdup(e->note) : NULL;
		r->label.time = xstrdup(when);
	}
	return e->verdict;
}

/* After the scan: which distinct reports fail the job (--fail-on, --new). */
static void scan_gate(struct scan *s)
{
	for (size_t i = 0; i < s->nagg; i++) {
		struct agg *a = s->agg[i];

		a->fails = (a->seen & s->fail_mask) && (!s->new_only || a->is_new);
		s->failing += a->fails;
	}
	s->findings = s->failing > 0;
}

/* ---------------------------------------------------------------------- */
/* the distinct reports */

static bool agg_eq(const struct hashmap_entry *e, const struct hashmap_entry *key, const void *keydata)
{
	return !memcmp(container_of(e, struct agg, ent)->sig, keydata, 33);
}

static struct agg *agg_find(struct scan *s, const char sig[33])
{
	struct hashmap_entry *e = hashmap_get(&s->aggs, kt_hash_mem(sig, 32), NULL, sig);

	return e ? container_of(e, struct agg, ent) : NULL;
}

/* The row's verdict and explanation, from the report (any thread). */
static void agg_set_classification(struct agg *a, const struct report *r)
{
	struct verdict_text vt;

	render_verdict_text(&r->cls, &vt);
	a->field = vt.field;
	a->reason = vt.reason ? vt.reason : xstrdup(vt.evidence ? vt.evidence : "");
	a->evidence = vt.evidence;
	a->marking = vt.marking;
	vt.field = vt.reason = vt.evidence = vt.marking = NULL;
	verdict_text_release(&vt);
	a->computed = r->cls.verdict;
	a->writer = r->cls.writer;
	a->conf = r->cls.confidence;
}

/*
 * Where the CI documents point, for them only (ci): the log line, the top
 * frame's source when known, the report's text.
 */
static void agg_set_places(struct agg *a, const struct report *r, bool ci)
{
	const struct frame *f = report_top_frame(r, 0);

	memcpy(a->sig_id, a->sig, REPORT_SIG_ID_LEN);
	a->sig_id[REPORT_SIG_ID_LEN] = '\0';
	if (!ci)
		return;         /* (a row of another summary would drop them: agg_drop_ci()) */
	a->log = xstrdup(r->source ? r->source : "-");
	a->log_line = r->line;
	if (f && f->file && f->line > 0) {
		a->file = xstrdup(f->file);
		a->line = (uint64_t)f->line;
	}
	a->text = xstrdup(sbuf_str(&r->raw));
}

/*
 * A row as the report would make it, were it its signature's first (any
 * thread: it reads only r and s->doc); what the store and labels say is
 * the writer's (agg_count()).
 */
static struct agg *agg_make(const struct scan *s, const char sig[33], const struct report *r, char *title)
{
	struct agg *a = xcalloc(1, sizeof(*a));

	memcpy(a->sig, sig, 33);
	a->title = title;
	a->where = xplace(r->source, r->line);
	agg_set_places(a, r, s->doc == SCAN_DOC_SARIF || s->doc == SCAN_DOC_JUNIT);
	agg_set_classification(a, r);
	return a;
}

static struct agg *agg_new(const struct scan *s, const char sig[33], const struct report *r)
{
	return agg_make(s, sig, r, report_display_title(r));
}

/* What only the CI documents print of a row (SARIF, JUnit). */
static void agg_release_ci(struct agg *a)
{
	free(a->log);
	free(a->file);
	free(a->text);
	free(a->evidence);
	free(a->marking);
	a->log = a->file = a->text = a->evidence = a->marking = NULL;
}

static void agg_release(struct agg *a)
{
	if (!a)
		return;
	free(a->title);
	free(a->where);
	free(a->field);
	free(a->reason);
	agg_release_ci(a);
	free(a->label_note);
	free(a);
}

/* A row kept for the text or JSON summary drops agg_release_ci()'s: a million rows hold hundreds of MiB of it. */
static void agg_drop_ci(const struct scan *s, struct agg *a)
{
	if (s->doc != SCAN_DOC_SARIF && s->doc != SCAN_DOC_JUNIT)
		agg_release_ci(a);
}

/* The report in its row (the first of its signature: *fresh, agg_new()'s, taken). */
static void agg_count(struct scan *s, const struct report *r, const char sig[33], struct agg **fresh,
		      const struct store_added *added, enum verdict eff, bool stored)
{
	struct agg *a = agg_find(s, sig);

	if (!a) {
		a = *fresh ? *fresh : agg_new(s, sig, r);
		*fresh = NULL;
		agg_drop_ci(s, a);
		hashmap_entry_init(&a->ent, kt_hash_mem(sig, 32));
		hashmap_add(&s->aggs, &a->ent);
		ALLOC_GROW(s->agg, s->nagg, s->aggcap);
		s->agg[s->nagg++] = a;
		a->label_note = r->label.note ? xstrdup(r->label.note) : NULL;
		a->verdict = eff;
		a->labelled = r->label.verdict != V_NONE;
		a->id = added->sig_id;
		a->is_new = !scan_known(s, a->sig_id, added, stored);
		s->new_distinct += a->is_new;
	}
	a->count++;
	if (eff > V_NONE && eff <= V_UNKNOWN_ORIGIN)
		a->seen |= FAIL(eff);
}

static void agg_free(struct scan *s)
{
	for (size_t i = 0; i < s->nagg; i++)
		agg_release(s->agg[i]);
	free(s->agg);
	hashmap_clear(&s->aggs, HASHMAP_NO_FREE);
}

/* ---------------------------------------------------------------------- */

/* On a pipeline thread: the report's signature, its summary row, and its store rows when there is a store. */
static void *scan_prepare(const struct report *r, const struct enrichment *e, void *data)
{
	struct scan *s = data;
	struct scan_prep *p = xcalloc(1, sizeof(*p));

	(void)e;
	report_signature(r, p->sig);
	p->agg = agg_new(s, p->sig, r);
	if (s->ctx->store) {
		store_prepare(s->ctx->store, r, atomic_load_explicit(&s->zip, memory_order_relaxed), &p->st);
		p->prepared = true;
	}
	return p;
}

static void scan_prep_free(void *prep, void *data)
{
	struct scan_prep *p = prep;

	(void)data;
	store_prepared_release(&p->st);
	agg_release(p->agg);
	free(p);
}

/* A report of the file being parsed, for its record (the first of its signature in the file: its title). */
static void scan_frec_report(struct scan_frec *fr, const struct report *r, const char *subsystem,
			     const struct scan_prep *p)
{
	uint64_t h = kt_hash_mem(p->sig, 32);
	struct store_file_report *f;

	ALLOC_GROW(fr->v, fr->n, fr->cap);
	f = &fr->v[fr->n++];
	memset(f, 0, sizeof(*f));
	f->occ_key = p->st.occ_key;
	f->head_key = p->st.head_key;
	memcpy(f->sig, p->sig, sizeof(f->sig));
	f->truncated = r->truncated;
	f->line = r->line;
	f->facts_hash = kt_hash_str(p->st.facts ? p->st.facts : "");
	f->level = r->cls.level;
	f->verdict = r->cls.verdict;
	f->writer = r->cls.writer;
	f->confidence = r->cls.confidence;
	f->field = classification_field(&r->cls);
	f->subsystem = subsystem ? xstrdup(subsystem) : NULL;
	/* a cut copy may be known by its head only: no occurrence of its own keeps its facts */
	if (r->truncated)
		f->facts = xstrdup(p->st.facts ? p->st.facts : "");
	if (!hashmap_get(&fr->sigs, h, NULL, p->sig)) {
		struct scan_fsig *e = xmalloc(sizeof(*e));
		/* the summary's row made of this report (scan_prepare()'s): its signature's, were it the first */
		const struct agg *a = p->agg;

		memcpy(e->sig, p->sig, sizeof(e->sig));
		hashmap_entry_init(&e->ent, h);
		hashmap_add(&fr->sigs, &e->ent);
		f->title = xstrdup(a->title);
		f->text_field = a->field ? xstrdup(a->field) : NULL;
		f->reason = a->reason ? xstrdup(a->reason) : NULL;
		f->evidence = a->evidence ? xstrdup(a->evidence) : NULL;
		f->marking = a->marking ? xstrdup(a->marking) : NULL;
	}
}

/* On the thread that parses the file (cfg.file_report): its report, for its record. */
static void scan_file_report(void **file, const struct report *r, const struct enrichment *e, const void *prep,
			     void *data)
{
	struct scan *s = data;
	const struct scan_prep *p = prep;
	struct scan_frec *fr = *file;

	if (!s->record || !p->prepared)
		return;
	if (!fr) {
		fr = *file = xcalloc(1, sizeof(*fr));
		hashmap_init(&fr->sigs, agg_eq_fsig, 0);
	}
	scan_frec_report(fr, r, e->subsystem, p);
}

static void scan_frec_forget(struct scan_frec *fr)
{
	store_file_reports_free(fr->v, fr->n);
	fr->v = NULL;
	fr->n = fr->cap = 0;
	hashmap_clear(&fr->sigs, offsetof(struct scan_fsig, ent));
}

/* On the thread that parsed the file (cfg.file_done): its record's reports packed, when it may be recorded. */
static void scan_file_packed(void *file, const struct pipeline_file *f, void *data)
{
	struct scan *s = data;
	struct scan_frec *fr = file;

	if (f->clean && store_files_pack(s->recs, fr->v, fr->n, &fr->blob, &fr->blob_n) < 0)
		fr->blob = NULL;
	scan_frec_forget(fr);
}

static void scan_frec_free(void *file, void *data)
{
	struct scan_frec *fr = file;

	(void)data;
	scan_frec_forget(fr);
	free(fr->blob);
	free(fr);
}

/* A report stored (or found stored) with its effective verdict: counted for the summary, the gate, the record. */
static void scan_count_report(struct scan *s, struct report *r, const char *subsystem, struct scan_prep *p,
			      const struct store_added *added, enum verdict eff)
{
	eff = scan_apply_triage(s, r, p->sig, added, eff);
	s->reports++;
	if (r->truncated)
		s->truncated++;
	if (eff > V_NONE && eff <= V_UNKNOWN_ORIGIN)
		s->by_verdict[eff]++;
	if (s->doc == SCAN_DOC_JSON)
		render_report(s->out, r, DETAIL_BRIEF);
	agg_count(s, r, p->sig, &p->agg, added, eff, s->ctx->store && s->store_ok);
	progress_reports(s->progress, 1);
}

/* A stream is being read and stored (storing it has not failed). */
static bool scan_stream_stores(const struct scan *s)
{
	return s->stream && s->ctx->store && s->stream_ok;
}

/* A stream's report: a transaction of its own begun (store_ok), unless storing the stream failed before. */
static void scan_stream_begin(struct scan *s)
{
	if (!scan_stream_stores(s))
		return;
	memset(&s->file, 0, sizeof(s->file));
	s->store_ok = store_begin(s->ctx->store, s->stream_name) == 0;
	s->stream_ok = s->store_ok;
}

/* The stream's reports in the batch: committed (rc > 0), kept open (0), or lost (< 0: said; the rest not stored). */
static void scan_stream_done(struct scan *s, int rc)
{
	if (rc > 0)
		scan_batch_done(s, s->stream_name, rc);
	if (rc >= 0)
		return;
	kt_error(s->ctx, KT_EXIT_STORE, s->stream_name,
		 "the reports read since the last commit were not stored, and the rest of it is not stored");
	memset(&s->batch, 0, sizeof(s->batch));
	s->batch_files = 0;
	s->stream_ok = false;
}

/* ... and its transaction ended: into the batch, which is committed when due (or when the stream goes quiet). */
static void scan_stream_end(struct scan *s)
{
	if (!scan_stream_stores(s))
		return;
	if (!s->store_ok) {
		store_rollback(s->ctx->store);
		scan_stream_done(s, -1);
		return;
	}
	stored_add(&s->batch, &s->file);
	s->batch_files = 1;     /* (the stream, in what scan_batch_done() says) */
	s->store_ok = false;
	scan_stream_done(s, store_commit(s->ctx->store, s->stream_name));
}

/* A stream went quiet: what it gave is committed, so that others see it and no writer waits for it. */
static void scan_quiet(void *data)
{
	struct scan *s = data;

	if (scan_stream_stores(s) && !s->store_ok)
		scan_stream_done(s, store_flush(s->ctx->store, s->stream_name));
}

static void scan_on_report(struct report *r, const struct enrichment *e, void *prep, void *data)
{
	struct scan *s = data;
	struct scan_prep *p = prep;
	struct store_added added = { 0 };
	enum verdict eff;

	scan_stream_begin(s);
	eff = scan_store_report(s, r, e->subsystem, p, &added);
	scan_count_report(s, r, e->subsystem, p, &added, eff);
	scan_stream_end(s);
}

/* ---------------------------------------------------------------------- */
/* a file read before: its record's reports counted as a parse counts them */

/* A recorded file, read on the pipeline thread that hashed it: its reports, the summary rows of its firsts. */
struct scan_known {
	struct store_file_report *v;
	size_t n;
	struct agg **aggs;   /* [i]: report i's row when it is the file's first of its signature (NULL: taken) */
};

static void scan_known_free(void *rec, void *data)
{
	struct scan_known *kf = rec;

	(void)data;
	for (size_t i = 0; i < kf->n; i++)
		agg_release(kf->aggs[i]);
	free(kf->aggs);
	store_file_reports_free(kf->v, kf->n);
	free(kf);
}

static char *dup_or_null(const char *v)
{
	return v ? xstrdup(v) : NULL;
}

/* The summary's row of a recorded report, as agg_new() made it from the parse (text output). */
static struct agg *agg_replayed(const char *name, const struct store_file_report *v)
{
	struct agg *a = xcalloc(1, sizeof(*a));

	memcpy(a->sig, v->sig, sizeof(a->sig));
	memcpy(a->sig_id, v->sig, REPORT_SIG_ID_LEN);
	a->sig_id[REPORT_SIG_ID_LEN] = '\0';
	a->title = xstrdup(v->title);
	a->where = xplace(name, v->line);
	a->log = xstrdup(name);
	a->log_line = v->line;
	a->field = dup_or_null(v->text_field);
	a->reason = dup_or_null(v->reason);
	a->evidence = dup_or_null(v->evidence);
	a->marking = dup_or_null(v->marking);
	a->computed = v->verdict;
	a->writer = v->writer;
	a->conf = v->confidence;
	return a;
}

/*
 * One recorded report, counted as scan_on_report() counts it parsed: found
 * stored with nothing to write (rc 1, k: what the store says), or stored
 * again with its facts (rc 2: its signature is classified again, as a
 * parse would have it).
 */
static void scan_replay_one(struct scan *s, const struct store_file_report *v, struct agg **agg,
			    struct store_file_known *k, int rc)
{
	struct store_added added = { .sig_id = k->sig_id, .label = k->label };
	struct scan_prep p = { .prepared = true };
	enum verdict eff;
	struct report r;
	char *err = NULL;

	report_init(&r);
	r.truncated = v->truncated;
	r.cls.verdict = v->verdict;
	memset(&k->label, 0, sizeof(k->label));
	memcpy(p.sig, v->sig, sizeof(p.sig));
	p.st.occ_key = v->occ_key;
	p.st.head_key = v->head_key;
	p.st.sig_key = v->sig_key;
	p.st.facts = k->facts;
	p.st.stored = true;
	p.agg = *agg;
	if (rc == 2 && facts_decode(k->facts, &r.cls, &err) == 0) {
		eff = scan_store_report(s, &r, v->subsystem, &p, &added);
	} else {
		if (rc == 2) {
			/* facts the store wrote and cannot read back: said as a store error */
			kt_error(s->ctx, KT_EXIT_STORE, NULL, "a stored report's facts: %s", err);
			s->store_ok = false;
		}
		/* scan_store_report() of a duplicate that changes nothing */
		scan_note_new(s, false);
		s->file.dups++;
		r.label = added.label;
		eff = added.sig_id ? effective_verdict(v->verdict, &added.label) : v->verdict;
	}
	free(err);
	scan_count_report(s, &r, v->subsystem, &p, &added, eff);
	*agg = p.agg;   /* not taken: freed with the record */
	report_release(&r);
}

static void scan_known_release(struct store_file_known *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		verdict_label_release(&k[i].label);
		free(k[i].facts);
	}
	memset(k, 0, n * sizeof(*k));
}

/* Every recorded report against the store: 1 all are stored as a parse finds them, 0 not, -1 error. */
static int scan_replay_check(struct scan *s, const struct store_file_report *v, size_t n, struct store_file_known *k,
			     int *rcs)
{
	for (size_t i = 0; i < n; i++) {
		rcs[i] = store_files_known(s->recs, &v[i], &k[i]);
		if (rcs[i] <= 0)
			return rcs[i];
	}
	return 1;
}

/*
 * The writer, between the file's begin and end: true when its record was
 * counted, false to parse it (nothing counted).  A report stored again
 * classifies its signature again: the later ones of that signature are
 * looked up anew.
 */
static bool scan_replay(const char *name, void *rec, void *data)
{
	struct scan *s = data;
	struct scan_known *kf = rec;
	struct store_file_report *v = kf->v;
	struct store_file_known *k;
	int64_t changed = -1;   /* the signature a report stored again changed (0: any) */
	size_t n = kf->n;
	int rc, *rcs;

	(void)name;
	if (!s->store_ok)
		return false;
	k = xcalloc(n ? n : 1, sizeof(*k));
	rcs = xcalloc(n ? n : 1, sizeof(*rcs));
	rc = scan_replay_check(s, v, n, k, rcs);
	for (size_t i = 0; i < n && rc > 0; i++) {
		if (changed >= 0 && (changed == 0 || k[i].sig_id == 0 || k[i].sig_id == changed)) {
			scan_known_release(&k[i], 1);
			rcs[i] = store_files_known(s->recs, &v[i], &k[i]);
			/* 0 cannot come now (store_files_known()); an error is the store's */
			if (rcs[i] <= 0)
				s->store_ok = false;
		}
		scan_replay_one(s, &v[i], &kf->aggs[i], &k[i], rcs[i]);
		if (rcs[i] == 2)
			changed = changed < 0 || changed == k[i].sig_id ? k[i].sig_id : 0;
	}
	scan_known_release(k, n);
	free(k);
	free(rcs);
	return rc > 0;
}

/* On a pipeline thread: the record of a file with this name and content, read, or NULL. */
static void *scan_file_known(const char *name, const struct pipeline_file *f, void *data)
{
	struct scan *s = data;
	struct store_file_id id = { .size = f->size };
	const struct store_file_rec *rec;
	struct scan_known *kf;

	memcpy(id.hash, f->hash, sizeof(id.hash));
	rec = store_files_find(s->recs, name, &id);
	if (!rec)
		return NULL;
	kf = xcalloc(1, sizeof(*kf));
	if (store_files_read(s->recs, rec, &kf->v, &kf->n) <= 0) {
		free(kf);
		return NULL;
	}
	kf->aggs = xcalloc(kf->n ? kf->n : 1, sizeof(*kf->aggs));
	for (size_t i = 0; i < kf->n; i++)
		if (kf->v[i].title)
			kf->aggs[i] = agg_replayed(name, &kf->v[i]);
	return kf;
}

/* v in decimal, without printf (a summary row has two numbers; a million rows are printed at times) */
static void fput_udec(FILE *fp, unsigned long long v)
{
	char buf[KT_UDEC_MAX];
	size_t n;
	const char *p = kt_udec(buf, v, &n);

	fwrite(p, 1, n, fp);
}

/* One distinct report of the text summary; its verdict in the colour list gives it (on a terminal). */
static void print_agg(struct out *o, FILE *fp, const struct agg *a, bool new_only)
{
	fputc('\n', fp);
	if (a->id) {
		fputc('#', fp);
		fput_udec(fp, (unsigned long long)a->id);
		fputc(' ', fp);
	}
	fput_udec(fp, a->count);
	fputs("x ", fp);
	out_text_style(o, verdict_style(a->verdict), verdict_name(a->verdict));
	if (new_only) {
		fputs(" [", fp);
		out_text_style(o, a->is_new ? STYLE_NEW : STYLE_NONE, a->is_new ? "new" : "known");
		fprintf(fp, " %s", a->sig_id);
		if (a->fails) {
			fputs(", ", fp);
			out_text_style(o, STYLE_BAD, "fails the job");
		}
		fputc(']', fp);
	}
	if (a->labelled)
		fprintf(fp, " (labelled; the tool says %s)", verdict_name(a->computed));
	else if (a->verdict == V_DEVICE_ORIGIN)
		fprintf(fp, " (%s writer, %s)", writer_name(a->writer), confidence_name(a->conf));
	if (a->field) {
		fputs("  ", fp);
		out_text_style(o, STYLE_BOLD, a->field);
	}
	fputs("\n    ", fp);
	out_text_safe(o, a->title);
	fputs("\n    first at ", fp);
	out_text_style(o, STYLE_DIM, a->where);
	if (a->reason && *a->reason) {
		fputs(": ", fp);
		out_text_safe(o, a->reason);
	}
	fputc('\n', fp);
}

/* "N verdict", coloured when there are any. */
static void print_count(struct out *o, FILE *fp, size_t n, enum verdict v)
{
	fprintf(fp, "%zu ", n);
	out_text_style(o, n ? verdict_style(v) : STYLE_NONE, verdict_name(v));
}

/* What --triage and --new did, when they were given. */
static void print_gate(struct scan *s, FILE *fp)
{
	size_t labels = 0;

	for (size_t i = 0; i < s->triage.n; i++)
		labels += s->triage.e[i].verdict != V_NONE;
	if (s->triage.n && s->ctx->store)
		fprintf(fp, "triage file: %zu label%s, %zu applied to the store\n", labels, labels == 1 ? "" : "s",
			s->triage_applied);
	else if (s->triage.n)
		fprintf(fp, "triage file: %zu label%s, %zu report%s known\n", labels, labels == 1 ? "" : "s",
			s->triage.n, s->triage.n == 1 ? "" : "s");
	if (s->new_only)
		fprintf(fp, "--new: %zu of %zu distinct report%s new%s; %zu fail%s the job\n", s->new_distinct, s->nagg,
			s->nagg == 1 ? "" : "s", s->has_baseline ? " to the baseline" : "", s->failing,
			s->failing == 1 ? "s" : "");
}

static void print_text(struct scan *s)
{
	FILE *fp = stdout;
	struct out *o = out_new_stdout(s->ctx, KT_FMT_TEXT);
	size_t distinct = s->nagg;

	fprintf(fp, "%zu KCSAN report%s (%zu distinct) in %zu file%s: ", s->reports, s->reports == 1 ? "" : "s",
		distinct, s->files, s->files == 1 ? "" : "s");
	print_count(o, fp, s->by_verdict[V_DEVICE_ORIGIN], V_DEVICE_ORIGIN);
	fputs(", ", fp);
	print_count(o, fp, s->by_verdict[V_REAL_RACE], V_REAL_RACE);
	fputs(", ", fp);
	print_count(o, fp, s->by_verdict[V_UNKNOWN_ORIGIN], V_UNKNOWN_ORIGIN);
	if (s->truncated) {
		char t[48];

		snprintf(t, sizeof(t), "%zu truncated", s->truncated);
		fputs("; ", fp);
		out_text_style(o, STYLE_WARN, t);
	}
	fputc('\n', fp);
	if (s->ctx->store) {
		fputs("store ", fp);
		out_text_safe(o, store_path(s->ctx->store));
		fprintf(fp, ": %zu new, %zu already known%s\n", s->added + s->upgraded, s->dups,
			s->upgraded ? " (some completing truncated ones)" : "");
	}
	print_gate(s, fp);
	/* the stream's lock taken once for the rows, not by each of their dozen writes */
	flockfile(fp);
	for (size_t i = 0; i < s->nagg; i++)
		print_agg(o, fp, s->agg[i], s->new_only);
	funlockfile(fp);
	out_close(o);   /* a write error is the dispatcher's to say */
}

static void json_begin(struct scan *s)
{
	s->out = out_new(stdout, KT_FMT_JSON);
	out_begin_obj(s->out, NULL);
	out_int(s->out, "schema_version", NULL, SCHEMA_VERSION);
	out_begin_arr(s->out, "reports");
}

/* Rule patterns whose matches stopped at the PCRE2 limits: one warning each. */
static void warn_limit_hits(struct ctx *ctx)
{
	struct rules_limit_hit h;

	while (rules_drain_limit_hit(ctx->rules, &h))
		kt_warn(ctx, h.origin, "struct %s: pattern '%s' stopped at the match limits %lu time%s (no match)%s",
			h.rule, h.pattern, h.hits, h.hits == 1 ? "" : "s", h.off ? "; turned off for this run" : "");
}

static void json_end(struct scan *s)
{
	out_end_arr(s->out);
	out_begin_obj(s->out, "summary");
	out_int(s->out, "files", NULL, (long long)s->files);
	out_int(s->out, "reports", NULL, (long long)s->reports);
	out_int(s->out, "device_origin", NULL, (long long)s->by_verdict[V_DEVICE_ORIGIN]);
	out_int(s->out, "real_race", NULL, (long long)s->by_verdict[V_REAL_RACE]);
	out_int(s->out, "unknown_origin", NULL, (long long)s->by_verdict[V_UNKNOWN_ORIGIN]);
	out_int(s->out, "truncated", NULL, (long long)s->truncated);
	if (s->ctx->store) {
		out_int(s->out, "stored_new", NULL, (long long)(s->added + s->upgraded));
		out_int(s->out, "already_known", NULL, (long long)s->dups);
	}
	out_int(s->out, "distinct", NULL, (long long)s->nagg);
	out_int(s->out, "new_signatures", NULL, (long long)s->new_distinct);
	out_int(s->out, "failing", NULL, (long long)s->failing);
	out_end_obj(s->out);
	out_end_obj(s->out);
	if (out_close(s->out) < 0)
		kt_error(s->ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output");
}

/* The tree's MAINTAINERS, when --src has one: subsystems are its entries. */
static const struct maint_db *scan_maintainers(struct ctx *ctx, const struct srctree *src)
{
	const char *root = srctree_root(src);
	const struct maint_db *db = NULL;
	char *path;

	if (!root)
		return NULL;
	path = xasprintf("%s/MAINTAINERS", root);
	if (access(path, R_OK) == 0)
		db = maint_load(ctx, root);
	free(path);
	return db;
}

/* The distinct reports as the CI documents show them. */
static void scan_write_ci(struct scan *s)
{
	struct ci_result *res = xcalloc(s->nagg ? s->nagg : 1, sizeof(*res));
	const struct ci_result **rs = xcalloc(s->nagg ? s->nagg : 1, sizeof(*rs));
	int rc;

	for (size_t i = 0; i < s->nagg; i++) {
		const struct agg *a = s->agg[i];
		struct ci_result *c = &res[i];

		memcpy(c->sig_id, a->sig_id, sizeof(c->sig_id));
		c->title = a->title;
		c->verdict = a->verdict;
		c->tool_verdict = a->computed;
		c->labelled = a->labelled;
		c->label_note = a->label_note;
		c->count = a->count;
		c->log = a->log;
		c->log_line = a->log_line;
		c->file = a->file;
		c->line = a->line;
		c->text = a->text;
		c->evidence = a->evidence;
		c->marking = a->marking;
		c->is_new = a->is_new;
		c->fails = a->fails;
		rs[i] = c;
	}
	rc = s->doc == SCAN_DOC_SARIF ? ci_write_sarif(stdout, rs, s->nagg) : ci_write_junit(stdout, rs, s->nagg);
	if (rc < 0)
		kt_error(s->ctx, KT_EXIT_INTERNAL, NULL, "write error on standard output");
	free(rs);
	free(res);
}

/* The document --format asks for. */
static void scan_output(struct scan *s)
{
	switch (s->doc) {
	case SCAN_DOC_JSON: json_end(s); break;
	case SCAN_DOC_SARIF: case SCAN_DOC_JUNIT: scan_write_ci(s); break;
	case SCAN_DOC_TEXT: print_text(s); break;
	}
}

static uint64_t scan_bytes_read(const void *data)
{
	return pipeline_bytes_read(data);
}

/* The progress line, when stderr is a terminal: the files counted first. */
static void scan_progress_start(struct scan *s, char **argv, int argc)
{
	uint64_t bytes = 0;
	size_t files;

	if (!progress_wanted(s->ctx, s->doc == SCAN_DOC_JSON))
		return;
	files = pipeline_count_files(s->ctx, argv, argc, &bytes);
	s->progress = progress_start(s->ctx, files, bytes, scan_bytes_read, s->pl);
}

/* A file's content into the fingerprint: its XXH3-128 (or that it cannot be read). */
static void scan_fp_content(struct sbuf *b, const char *what, const char *path)
{
	struct sbuf text = SBUF_INIT;
	FILE *fp = fopen(path, "rb");
	unsigned char h[16];

	sbuf_addf(b, "%s=%s ", what, path);
	if (fp && sbuf_read_file(&text, fp) == 0) {
		store_files_hash(text.buf ? text.buf : "", text.len, h);
		for (size_t i = 0; i < sizeof(h); i++)
			sbuf_addf(b, "%02x", h[i]);
	} else {
		sbuf_adds(b, "unreadable");
	}
	sbuf_addc(b, '\n');
	if (fp)
		fclose(fp);
	sbuf_release(&text);
}

/*
 * Everything that decides what a scan makes of a file besides the file:
 * the program itself (its binary, so a rebuild counts: embedded rules and
 * all), the --rules files, the vmlinux (its path, size and time) and what
 * the symbolizer resolves with (sym_fingerprint()), --text, and the limit
 * on decompressed input.  --src is not here: with it nothing is recorded.
 */
static void scan_fingerprint(const struct scan *s, unsigned char fp[16])
{
	const char *env[] = { "KCSAN_TRIAGE_MAX_DECOMPRESSED", "KT_SYM_LIBDW_WALK" };
	struct sbuf b = SBUF_INIT;
	struct stat st;

	sbuf_addf(&b, "kcsan-triage %s\ntext=%d\n", KT_VERSION, s->force_text);
	scan_fp_content(&b, "program", "/proc/self/exe");
	for (int i = 0; i < s->ctx->n_rules_files; i++)
		scan_fp_content(&b, "rules", s->ctx->rules_files[i]);
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		sbuf_addf(&b, "%s=%s\n", env[i], getenv(env[i]) ? getenv(env[i]) : "(unset)");
	if (s->ctx->sym) {
		if (stat(s->ctx->vmlinux, &st) != 0)
			memset(&st, 0, sizeof(st));
		sbuf_addf(&b, "vmlinux=%s %lld %lld %lld.%09ld\n", s->ctx->vmlinux, (long long)st.st_ino,
			  (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
		sym_fingerprint(s->ctx->sym, &b);
	}
	store_files_hash(b.buf, b.len, fp);
	sbuf_release(&b);
}

/* With a store and no --src: the records of this fingerprint, to skip (text output) and to replace. */
static void scan_files_open(struct scan *s, struct pipeline_config *cfg)
{
	unsigned char fp[16];

	if (!s->ctx->store || s->src_dir)
		return;
	scan_fingerprint(s, fp);
	s->recs = store_files_load(store_connection(s->ctx->store), fp);
	if (!s->recs)
		return;   /* unreadable: every file is parsed, none recorded */
	s->record = true;
	cfg->hash_files = true;
	cfg->file_report = scan_file_report;
	cfg->file_done = scan_file_packed;
	cfg->file_free = scan_frec_free;
	/* the documents that show each report, or its text, are made from a parse */
	if (s->doc == SCAN_DOC_TEXT && !s->reparse) {
		cfg->known = scan_file_known;
		cfg->replay = scan_replay;
		cfg->known_free = scan_known_free;
	}
}

static void scan_files_close(struct scan *s)
{
	if (!s->recs)
		return;
	store_files_free(s->recs);
	s->recs = NULL;
}

/*
 * Before each file. One that may wait for ever: the files before it
 * committed, so that no other writer waits with it, and it a stream.
 */
static void scan_before_file(bool waits, void *data)
{
	struct scan *s = data;

	s->stream_next = waits;
	if (waits && s->ctx->store)
		scan_batch_done(s, NULL, store_flush(s->ctx->store, NULL));
}

/* The store waits on the disk or another writer: the workers may use the CPU meanwhile. */
static void scan_blocked(bool blocked, void *data)
{
	pipeline_writer_blocked(((struct scan *)data)->pl, blocked);
}

/* Every input through the pipeline, then the summary. */
static void scan_run(struct scan *s, struct srctree *src, char **argv, int argc, int jobs)
{
	static const struct pipeline_ops ops = { scan_file_begin, NULL, scan_file_done };
	struct pipeline_config cfg = { 0 };

	cfg.sym = s->ctx->sym;
	cfg.cls = classifier_new(s->ctx->rules, src);
	cfg.force_text = s->force_text;
	cfg.maint = scan_maintainers(s->ctx, src);
	if (cfg.sym)
		scan_cls_symbols(s, cfg.cls);
	cfg.jobs = jobs;
	cfg.worker_cls = scan_worker_cls;
	cfg.worker_cls_free = scan_worker_cls_free;
	cfg.prepare = scan_prepare;
	cfg.report_prep = scan_on_report;
	cfg.prep_free = scan_prep_free;
	cfg.before_file = scan_before_file;
	cfg.quiet = scan_quiet;
	/* a fresh store, until the reports say otherwise */
	s->recent_new = UINT64_MAX;
	atomic_init(&s->zip, true);
	hashmap_init(&s->aggs, agg_eq, 0);
	if (s->doc == SCAN_DOC_JSON)
		json_begin(s);
	cfg.stop = &scan_signal;
	s->ctx->stop = &scan_signal;   /* a pipe's reader waits for data or for it */
	if (s->ctx->store)
		store_batch(s->ctx->store, true);
	scan_files_open(s, &cfg);
	s->pl = pipeline_new(s->ctx, &cfg, &ops, s);
	if (s->ctx->store)
		store_set_block_hook(s->ctx->store, scan_blocked, s);
	scan_progress_start(s, argv, argc);
	pipeline_run(s->pl, argv, argc);
	warn_limit_hits(s->ctx);
	maint_cleanup();
	if (s->ctx->store)
		scan_batch_done(s, NULL, store_flush(s->ctx->store, NULL));
	if (scan_signal)
		kt_warn(s->ctx, NULL, "interrupted (%s): %zu new report%s stored; the files after the one being read were not read",
			scan_signal == SIGINT ? "SIGINT" : "SIGTERM", s->added + s->upgraded,
			s->added + s->upgraded == 1 ? "" : "s");
	progress_stop(s->progress);
	s->progress = NULL;
	if (s->ctx->store)
		store_set_block_hook(s->ctx->store, NULL, NULL);
	pipeline_free(s->pl);
	s->pl = NULL;
	s->ctx->stop = NULL;
	scan_files_close(s);
	scan_gate(s);
	scan_output(s);
	classifier_free(cfg.cls);
	free(s->wcls);
	free(s->stream_name);
	s->stream_name = NULL;
	agg_free(s);
}

/* SIGINT and SIGTERM end the scan after the file being read (its reports stored); the defaults back after. */
static void scan_signals(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? scan_on_signal : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

struct scan_opts {
	int format;                 /* enum scan_doc */
	int jobs;                   /* 0: the CPUs for more than one file, else 1 */
	unsigned fail_mask;
	bool new_only;
	const char *baseline, *triage;
	bool text;
	const char *src;
	bool reparse;
};

static const struct opt_choice scan_formats[] = {
	{ "text", SCAN_DOC_TEXT },
	{ "json", SCAN_DOC_JSON },
	{ "sarif", SCAN_DOC_SARIF },
	{ "junit", SCAN_DOC_JUNIT },
	{ NULL, 0 },
};

static int scan_fail_on(struct ctx *ctx, const char *arg, void *mask)
{
	return parse_fail_on(ctx, arg, mask);
}

/* --jobs N: 1 to PIPELINE_MAX_JOBS. */
static int scan_jobs(struct ctx *ctx, const char *arg, void *jobs)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > PIPELINE_MAX_JOBS) {
		kt_error(ctx, KT_EXIT_USAGE, NULL, "--jobs takes a number of threads from 1 to %d, not '%s'",
			 PIPELINE_MAX_JOBS, arg);
		return -1;
	}
	*(int *)jobs = (int)n;
	return 0;
}

static const struct option_spec scan_specs[] = {
	OPT_ENUM("format", struct scan_opts, format, scan_formats, "text",
		 "text, one JSON document, SARIF 2.1.0 (code scanning) or JUnit XML"),
	OPT_CALLBACK("fail-on", "LIST", struct scan_opts, fail_mask, scan_fail_on, "real-race,unknown-origin",
		     "the verdicts that make the exit status 1, or any, or none"),
	OPT_FLAG("new", 0, struct scan_opts, new_only,
		 "only reports the store (or the baseline) did not hold before can fail"),
	OPT_STRING("baseline", "FILE|DB", struct scan_opts, baseline,
		   "what --new counts as known: a triage file or a store, instead of the store"),
	OPT_STRING("triage", "FILE", struct scan_opts, triage,
		   "apply the labels of a triage file (kcsan-triage export --labels)"),
	OPT_FLAG("text", 0, struct scan_opts, text, "read every line, as for mail (logs are skimmed)"),
	OPT_CALLBACK("jobs", "N", struct scan_opts, jobs, scan_jobs, NULL,
		     "read files on N threads, the one that stores among them (default: the CPUs when there is"
		     " more than one file)"),
	OPT_STRING("src", "DIR", struct scan_opts, src, "the kernel source tree the reports were built from"),
	OPT_FLAG("reparse", 0, struct scan_opts, reparse, "parse every file again, even one stored unchanged"),
	OPT_INCLUDE(opt_group_store),
	OPT_INCLUDE(opt_group_rules),
	OPT_INCLUDE(opt_group_symbols),
	OPT_END(),
};
const struct option_table cmd_scan_options = OPT_TABLE(struct scan_opts, scan_specs);

static void scan_add_known(const struct store_sig_id *row, void *data)
{
	triage_add(data, row->sig_id, row->label, row->note);
}

/* A baseline: a store (by its magic) or a triage file, into s->known.  0, or -1 reported. */
static int scan_load_baseline(struct scan *s, const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16] = { 0 };
	FILE *fp = fopen(path, "rb");
	struct store *st;
	int rc;

	if (fp) {
		if (fread(head, 1, sizeof(head), fp) != sizeof(head))
			head[0] = '\0';
		fclose(fp);
	}
	if (memcmp(head, magic, sizeof(magic)))
		return triage_load(s->ctx, path, &s->known);
	st = store_open(s->ctx, path, true);
	if (!st)
		return -1;
	rc = store_each_signature_id(st, false, scan_add_known, &s->known);
	store_close(s->ctx, st);
	return rc;
}

/* --triage, --baseline, --new.  0, or -1 reported (a usage error). */
static int scan_load_gate(struct scan *s, const struct scan_opts *so)
{
	s->new_only = so->new_only;
	if (so->baseline) {
		s->has_baseline = true;
		if (scan_load_baseline(s, so->baseline) < 0)
			return -1;
	}
	if (so->triage) {
		if (triage_load(s->ctx, so->triage, &s->triage) < 0)
			return -1;
		/* what people decided is known */
		for (size_t i = 0; i < s->triage.n; i++)
			triage_add(&s->known, s->triage.e[i].id, s->triage.e[i].verdict, NULL);
	}
	triage_sort(&s->known);
	if (s->new_only && !s->ctx->store && !s->has_baseline && !s->triage.n)
		kt_warn(s->ctx, NULL, "--new without a store, --baseline or --triage: every report is new");
	return 0;
}

int cmd_scan(int argc, char **argv, struct ctx *ctx, const void *opts)
{
	const struct scan_opts *so = opts;
	struct scan s = { 0 };
	const char *src_dir = so->src;
	struct srctree *src;
	int rc;

	s.ctx = ctx;
	s.doc = (enum scan_doc)so->format;
	s.fmt = s.doc == SCAN_DOC_JSON ? KT_FMT_JSON : KT_FMT_TEXT;
	s.fail_mask = so->fail_mask;
	s.force_text = so->text;
	s.reparse = so->reparse;
	if (cmd_inputs(ctx, &argc, &argv) < 0)
		return KT_EXIT_USAGE;
	if (scan_load_gate(&s, so) < 0) {
		triage_release(&s.triage);
		triage_release(&s.known);
		return KT_EXIT_USAGE;
	}

	if (src_dir && !is_dir(src_dir)) {
		kt_error(ctx, KT_EXIT_SYMBOLS, src_dir, "--src: not a directory");
		return KT_EXIT_SYMBOLS;
	}
	src = srctree_new(src_dir);
	s.src_dir = src_dir;
	scan_signals(true);
	scan_run(&s, src, argv, argc, so->jobs);
	scan_signals(false);
	s.src_used |= srctree_used(src);
	s.src_found |= srctree_used(src) && srctree_matched(src);
	if (srctree_root(src) && s.src_used && !s.src_found)
		kt_warn(ctx, src_dir, "--src: none of the reports' source files is under it (is it the top of a kernel tree?)");
	srctree_free(src);
	triage_release(&s.triage);
	triage_release(&s.known);
	rc = s.findings ? KT_EXIT_FINDINGS : KT_EXIT_OK;
	rc = cmd_finish_output(ctx, rc);
	if (ctx->worst_exit > rc)
		rc = ctx->worst_exit;
	return scan_signal ? 128 + scan_signal : rc;
}
