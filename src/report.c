/* report.c - the report model: lifetime, names, identity hashes. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "report.h"

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->rep_pid = -1;
	r->rep_cpu = -1;
	for (int i = 0; i < REPORT_MAX_ACCESSES; i++) {
		r->acc[i].pid = -1;
		r->acc[i].cpu = -1;
	}
}

struct report *report_new(void)
{
	struct report *r = xmalloc(sizeof(*r));

	report_init(r);
	return r;
}

void frame_release(struct frame *f)
{
	free(f->func);
	free(f->module);
	free(f->buildid);
	free(f->file);
	free(f->src);
	free(f->comp_dir);
	free(f->locs);
	free(f->sym_note);
	memset(f, 0, sizeof(*f));
}

static void access_release(struct access *a)
{
	for (size_t i = 0; i < a->nframes; i++)
		frame_release(&a->frames[i]);
	free(a->frames);
	free(a->task);
	if (a->reordered_to) {
		frame_release(a->reordered_to);
		free(a->reordered_to);
	}
	memset(a, 0, sizeof(*a));
}

static void place_release(struct cls_place *p)
{
	free(p->func);
	free(p->file);
}

void classification_release(struct classification *c)
{
	free(c->rule);
	free(c->origin);
	free(c->family);
	free(c->reference);
	free(c->member);
	place_release(&c->where);
	place_release(&c->top);
	free(c->inlined_in);
	free(c->expr);
	for (size_t i = 0; i < c->nexcluded; i++)
		free(c->excluded[i].member);
	free(c->excluded);
	for (size_t i = 0; i < c->nalso; i++)
		free(c->also[i]);
	free(c->also);
	free(c->stored.evidence);
	free(c->stored.marking);
	free(c->stored.rule);
	free(c->stored.field);
	cls_variable_release(&c->var);
	memset(c, 0, sizeof(*c));
}

void cls_variable_release(struct cls_variable *v)
{
	free(v->name);
	free(v->section);
	free(v->object);
	memset(v, 0, sizeof(*v));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

char *classification_field(const struct classification *c)
{
	if (c->basis == BASIS_STORED)
		return dup_or_null(c->stored.field);
	return c->member && c->rule ? xasprintf("struct %s.%s", c->rule, c->member) : NULL;
}

static void place_copy(struct cls_place *d, const struct cls_place *s)
{
	d->func = dup_or_null(s->func);
	d->file = dup_or_null(s->file);
	d->line = s->line;
}

void classification_copy(struct classification *d, const struct classification *s)
{
	*d = *s;
	d->rule = dup_or_null(s->rule);
	d->origin = dup_or_null(s->origin);
	d->family = dup_or_null(s->family);
	d->reference = dup_or_null(s->reference);
	d->member = dup_or_null(s->member);
	place_copy(&d->where, &s->where);
	place_copy(&d->top, &s->top);
	d->inlined_in = dup_or_null(s->inlined_in);
	d->expr = dup_or_null(s->expr);
	d->excluded = s->nexcluded ? xcalloc(s->nexcluded, sizeof(*d->excluded)) : NULL;
	for (size_t i = 0; i < s->nexcluded; i++) {
		d->excluded[i].member = xstrdup(s->excluded[i].member);
		d->excluded[i].why = s->excluded[i].why;
	}
	d->also = s->nalso ? xcalloc(s->nalso, sizeof(*d->also)) : NULL;
	for (size_t i = 0; i < s->nalso; i++)
		d->also[i] = xstrdup(s->also[i]);
	d->stored.evidence = dup_or_null(s->stored.evidence);
	d->stored.marking = dup_or_null(s->stored.marking);
	d->stored.rule = dup_or_null(s->stored.rule);
	d->stored.field = dup_or_null(s->stored.field);
	cls_variable_copy(&d->var, &s->var);
}

void cls_variable_copy(struct cls_variable *d, const struct cls_variable *s)
{
	*d = *s;
	d->name = dup_or_null(s->name);
	d->section = dup_or_null(s->section);
	d->object = dup_or_null(s->object);
}

void verdict_label_release(struct verdict_label *l)
{
	free(l->note);
	free(l->time);
	memset(l, 0, sizeof(*l));
}

enum verdict effective_verdict(enum verdict tool, const struct verdict_label *l)
{
	return l && l->verdict != V_NONE ? l->verdict : tool;
}

void report_meta_free(struct report_meta *m)
{
	if (!m)
		return;
	for (int i = 0; i < META_NFIELDS; i++)
		free(m->v[i]);
	free(m);
}

struct report_meta *report_meta_dup(const struct report_meta *m)
{
	struct report_meta *d;

	if (!m)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	for (int i = 0; i < META_NFIELDS; i++)
		d->v[i] = m->v[i] ? xstrdup(m->v[i]) : NULL;
	return d;
}

void report_release(struct report *r)
{
	free(r->title);
	free(r->value_old);
	free(r->value_new);
	free(r->bits_changed);
	free(r->bits_mask);
	free(r->kernel);
	free(r->comm);
	free(r->hardware);
	free(r->log_time);
	free(r->event_time);
	report_meta_free(r->meta);
	free(r->source);
	for (int i = 0; i < REPORT_MAX_ACCESSES; i++)
		access_release(&r->acc[i]);
	sbuf_release(&r->raw);
	sbuf_release(&r->norm);
	classification_release(&r->cls);
	verdict_label_release(&r->label);
	report_init(r);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	report_release(r);
	free(r);
}

struct frame *access_add_frame(struct access *a)
{
	struct frame *f;

	if (!a->frames && !a->frames_cap) {
		a->frames_cap = 16;   /* a usual stack at once, not 8 then 16 */
		a->frames = xmalloc(a->frames_cap * sizeof(*a->frames));
	}
	ALLOC_GROW(a->frames, a->nframes, a->frames_cap);
	f = &a->frames[a->nframes++];
	memset(f, 0, sizeof(*f));
	return f;
}

/* ---------------------------------------------------------------------- */
/* names: one table per enum, strict both ways */

#define NAMES(x) (x), (int)(sizeof(x) / sizeof((x)[0]))

static const char *name_of(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : NULL;
}

/* The value whose name is s, from first on; -1 for anything else. */
static int name_lookup(const char *const *names, int n, int first, const char *s)
{
	if (!s)
		return -1;
	for (int v = first; v < n; v++)
		if (names[v] && !strcmp(s, names[v]))
			return v;
	return -1;
}

static const char *const access_type_names[] = {
	[ACC_READ] = "read",
	[ACC_WRITE] = "write",
	[ACC_READ_WRITE] = "read-write",
	[ACC_ASSERT_NO_WRITES] = "assert no writes",
	[ACC_ASSERT_NO_ACCESSES] = "assert no accesses",
};
static const char *const access_ctx_names[] = { [CTX_TASK] = "task", [CTX_INTERRUPT] = "interrupt" };
static const char *const verdict_names[] = {
	[V_NONE] = "none",
	[V_DEVICE_ORIGIN] = "device-origin",
	[V_REAL_RACE] = "real-race",
	[V_UNKNOWN_ORIGIN] = "unknown-origin",
};
static const char *const writer_names[] = {
	[W_NONE] = NULL, [W_DEVICE] = "device", [W_HYPERVISOR] = "hypervisor", [W_USER] = "user",
};
static const char *const confidence_names[] = {
	[CONF_NONE] = NULL, [CONF_LIKELY] = "likely", [CONF_CERTAIN] = "certain",
};
static const char *const bug_type_names[] = { [BUG_DATA_RACE] = "data-race", [BUG_ASSERT] = "assert",
						    [BUG_UNKNOWN] = "unknown" };
static const char *const layout_source_names[] = {
	[LAYOUT_NONE] = NULL, [LAYOUT_RULE] = "rule", [LAYOUT_DWARF] = "dwarf",
};
static const char *const cls_basis_names[] = {
	[BASIS_NONE] = NULL,
	[BASIS_TWO_STACKS] = "two-stacks",
	[BASIS_ONE_STACK] = "one-stack",
	[BASIS_ASSERT_RACE] = "assert-race",
	[BASIS_ASSERT_UNKNOWN] = "assert-unknown",
	[BASIS_MEMBER_FITS] = "member-fits",
	[BASIS_NEAR_MISS] = "near-miss",
	[BASIS_NO_RULE] = "no-rule",
	[BASIS_STORED] = "stored-text",
};
static const char *const exclusion_names[] = { [EXCL_SIZE] = "size", [EXCL_OFFSET] = "offset" };
static const char *const var_basis_names[] = {
	[VARB_NONE] = NULL,
	[VARB_IMAGE] = "image",
	[VARB_SLIDE_GIVEN] = "slide-given",
	[VARB_SLIDE_FRAMES] = "slide-from-frames",
	[VARB_MODULE_CODE] = "module-code",
	[VARB_SLIDE_UNKNOWN] = "slide-unknown",
	[VARB_MODULE_UNKNOWN] = "module-unknown",
};

const char *access_type_name(enum access_type t)
{
	const char *n = name_of(NAMES(access_type_names), (int)t);

	return n ? n : "?";
}

int access_type_from_name(const char *s)
{
	return name_lookup(NAMES(access_type_names), 0, s);
}

const char *access_ctx_name(enum access_ctx c)
{
	return name_of(NAMES(access_ctx_names), (int)c);
}

int access_ctx_from_name(const char *s)
{
	return name_lookup(NAMES(access_ctx_names), 0, s);
}

const char *verdict_name(enum verdict v)
{
	return name_of(NAMES(verdict_names), (int)v);
}

int verdict_from_name(const char *s)
{
	return name_lookup(NAMES(verdict_names), V_DEVICE_ORIGIN, s);
}

const char *writer_name(enum writer w)
{
	return name_of(NAMES(writer_names), (int)w);
}

int writer_from_name(const char *s)
{
	return name_lookup(NAMES(writer_names), 0, s);
}

const char *confidence_name(enum confidence c)
{
	return name_of(NAMES(confidence_names), (int)c);
}

int confidence_from_name(const char *s)
{
	return name_lookup(NAMES(confidence_names), 0, s);
}

const char *bug_type_name(enum bug_type b)
{
	return name_of(NAMES(bug_type_names), (int)b);
}

int bug_type_from_name(const char *s)
{
	return name_lookup(NAMES(bug_type_names), 0, s);
}

const char *layout_source_name(enum layout_source l)
{
	return name_of(NAMES(layout_source_names), (int)l);
}

int layout_source_from_name(const char *s)
{
	return name_lookup(NAMES(layout_source_names), 0, s);
}

const char *cls_basis_name(enum cls_basis b)
{
	return name_of(NAMES(cls_basis_names), (int)b);
}

int cls_basis_from_name(const char *s)
{
	return name_lookup(NAMES(cls_basis_names), 0, s);
}

const char *exclusion_name(enum exclusion e)
{
	return name_of(NAMES(exclusion_names), (int)e);
}

int exclusion_from_name(const char *s)
{
	return name_lookup(NAMES(exclusion_names), 0, s);
}

const char *var_basis_name(enum var_basis b)
{
	return name_of(NAMES(var_basis_names), (int)b);
}

int var_basis_from_name(const char *s)
{
	return name_lookup(NAMES(var_basis_names), 0, s);
}

static void hex_u64(uint64_t v, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
}

/* The 128-bit hash as 32 hex digits, high half first. */
static void hash_hex_of(XXH128_hash_t h, char out[33])
{
	hex_u64(h.high64, out);
	hex_u64(h.low64, out + 16);
	out[32] = 0;
}

static void hash_hex(const void *p, size_t n, char out[33])
{
	hash_hex_of(XXH3_128bits(p, n), out);
}

/*
 * An occurrence is identified by its normalized text: the report's lines
 * that the parser recognized, stripped of everything a transport added
 * (quoting, mail encodings, syslog prefixes, interleaved console noise)
 * and of what a symbolizer added (a frame's location, inline levels),
 * plus the printk time of its first line.  Scanning the same log again,
 * the same report quoted in a mail, or the log after `kcsan-triage
 * symbolize`, gives the same hash; the same report printed twice at
 * different times gives two.  (decode_stacktrace.sh drops each frame's
 * offset, which the hash of the raw log keeps: its output hashes apart.)
 */
void report_occurrence_hash(const struct report *r, char out[33])
{
	XXH3_state_t st;
	const char *t = r->log_time ? r->log_time : "";

	/* the hash of log_time, "\n", norm: fed in pieces, no copy */
	XXH3_128bits_reset(&st);
	XXH3_128bits_update(&st, t, strlen(t));
	XXH3_128bits_update(&st, "\n", 1);
	XXH3_128bits_update(&st, sbuf_str(&r->norm), r->norm.len);
	hash_hex_of(XXH3_128bits_digest(&st), out);
}

void report_head_hash(const struct report *r, char out[33])
{
	struct sbuf sb = SBUF_INIT;
	size_t n = r->head_len ? r->head_len : r->norm.len;

	sbuf_adds(&sb, r->log_time ? r->log_time : "");
	sbuf_addc(&sb, '\n');
	sbuf_add(&sb, sbuf_str(&r->norm), n);
	hash_hex(sb.buf, sb.len, out);
	sbuf_release(&sb);
}

const struct frame *report_top_frame(const struct report *r, int acc)
{
	const struct access *a;

	if (acc >= r->nacc)
		return NULL;
	a = &r->acc[acc];
	for (size_t i = 0; i < a->nframes; i++)
		if (!a->frames[i].inlined && !a->frames[i].unreliable)
			return &a->frames[i];
	return a->nframes ? &a->frames[0] : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Generic helpers say little about where the race is: for them the caller
 * is part of the identity (memcmp from hci_get_route is not memcmp from
 * tcp_v4_rcv).
 */
static bool generic_helper(const char *f)
{
	static const char *const prefixes[] = {
		"mem", "str", "find_", "_find_", "__bitmap_", "bitmap_", "__list_", "list_", "rb_", "__rb_",
		"xa_", "__xa_", "copy_", "__copy_", "_copy_", "csum_", "_raw_spin_", "_raw_read_",
		"_raw_write_", "queued_spin_", "queued_read_", "queued_write_", "__mutex_", "mutex_",
		"atomic", "__tsan_", "__kcsan_", "kcsan_", "__asan_", "__kasan_", NULL,
	};

	if (!strchr("_abcfklmqrsx", f[0]))
		return false;   /* no prefix starts so */
	for (int i = 0; prefixes[i]; i++)
		if (str_startswith(f, prefixes[i]))
			return true;
	return false;
}

/*
 * The signature groups occurrences of one bug: the title, the bug type,
 * the origin, and per access its type and its top real frame (the caller
 * too when the top is a generic helper), with inline levels and compiler
 * clone suffixes ignored and the accesses sorted, so that the order in
 * which KCSAN printed the two threads and the paths that led there do not
 * split a bug.
 */
void report_signature(const struct report *r, char out[33])
{
	struct sbuf sb = SBUF_INIT;
	struct sbuf keys[REPORT_MAX_ACCESSES];
	char *kp[REPORT_MAX_ACCESSES];
	char base[256];

	sbuf_grow(&sb, 255);
	sbuf_adds(&sb, r->title ? r->title : "-");
	sbuf_addc(&sb, '|');
	sbuf_adds(&sb, bug_type_name(r->bug_type));
	sbuf_addc(&sb, '|');
	sbuf_addc(&sb, r->unknown_origin ? '1' : '0');
	sbuf_addc(&sb, '|');
	for (int i = 0; i < r->nacc; i++) {
		struct sbuf *k = &keys[i];
		const struct access *a = &r->acc[i];
		int want = 1;

		*k = (struct sbuf)SBUF_INIT;
		sbuf_grow(k, 127);
		sbuf_adds(k, access_type_name(a->type));
		for (size_t j = 0; j < a->nframes && want > 0; j++) {
			if (a->frames[j].inlined || a->frames[j].unreliable)
				continue;
			func_base_name(a->frames[j].func, base, sizeof(base));
			sbuf_addc(k, ',');
			sbuf_adds(k, base);
			want--;
			if (want == 0 && j + 1 < a->nframes && generic_helper(base))
				want = 1;
		}
		kp[i] = k->buf;
	}
	qsort(kp, (size_t)r->nacc, sizeof(kp[0]), cmp_str);
	for (int i = 0; i < r->nacc; i++) {
		sbuf_adds(&sb, kp[i]);
		sbuf_addc(&sb, ';');
	}
	for (int i = 0; i < r->nacc; i++)
		sbuf_release(&keys[i]);
	hash_hex(sb.buf, sb.len, out);
	sbuf_release(&sb);
}

/*
 * The signature's stable ID: the first 16 hex digits (64 bits) of
 * report_signature()'s hash.  The store's integer keys are built from
 * exactly those bits; triage files, JSON and SARIF name reports by it.
 */
void report_signature_id(const struct report *r, char out[REPORT_SIG_ID_LEN + 1])
{
	char sig[33];

	report_signature(r, sig);
	memcpy(out, sig, REPORT_SIG_ID_LEN);
	out[REPORT_SIG_ID_LEN] = '\0';
}

char *report_display_title(const struct report *r)
{
	struct sbuf sb = SBUF_INIT;

	if (r->title)
		return xstrdup(r->title);
	sbuf_addf(&sb, "KCSAN: %s in ", r->bug_type == BUG_ASSERT ? "assert: race" : "data-race");
	for (int i = 0; i < r->nacc; i++) {
		const struct frame *f = report_top_frame(r, i);

		if (i)
			sbuf_adds(&sb, " / ");
		sbuf_adds(&sb, f ? f->func : "?");
	}
	sbuf_adds(&sb, r->bug_corrupt ? " (BUG line corrupted)" : " (no BUG line)");
	return sbuf_detach(&sb);
}

/* ---------------------------------------------------------------------- */
/* the kernel release a line names */

static bool rel_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool rel_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * "X.Y... #N" at s[i] (X and Y digits, then anything but blanks and '#',
 * spaces, '#', a digit): the release's end in *rel_end and the match's end
 * in *end; else false, with *end where the next try may start.
 */
static bool rel_match_at(const char *s, size_t n, size_t i, size_t *rel_end, size_t *end)
{
	size_t j = i;

	while (j < n && rel_digit(s[j]))
		j++;
	if (j == i || j >= n || s[j] != '.' || j + 1 >= n || !rel_digit(s[j + 1])) {
		*end = j > i ? j : i + 1;
		return false;
	}
	while (j < n && !rel_space(s[j]) && s[j] != '#')
		j++;
	*rel_end = j;
	*end = j;     /* every start inside the release reaches the same place */
	if (j >= n || s[j] != ' ')
		return false;
	while (j < n && s[j] == ' ')
		j++;
	if (j + 1 >= n || s[j] != '#' || !rel_digit(s[j + 1]))
		return false;
	for (j++; j < n && rel_digit(s[j]); j++)
		;
	*end = j;
	return true;
}

char *report_cpu_line_release(const char *s, size_t n)
{
	const char *e = s + n, *t = NULL;
	size_t i = 0, rel_start = 0, rel_end = 0, end, re;
	bool found = false;

	/* the last "X.Y... #N" of the line */
	while (i < n) {
		if (rel_match_at(s, n, i, &re, &end)) {
			found = true;
			rel_start = i;
			rel_end = re;
		}
		i = end;
	}
	if (found)
		return xstrndup(s + rel_start, rel_end - rel_start);
	/* no "#N": the last token that looks like a release */
	for (const char *c = s; c + 2 < e; c++)
		if ((c == s || c[-1] == ' ') && rel_digit(c[0]) && memchr(c, '.', 4 < e - c ? 4 : (size_t)(e - c)))
			t = c;
	if (t) {
		const char *te = t;

		while (te < e && *te != ' ')
			te++;
		return xstrndup(t, (size_t)(te - t));
	}
	return NULL;
}

char *report_line_release(const char *s, size_t n)
{
	size_t k = 0;

	if (mem_startswith(s, n, "Linux version ")) {
		s += 14;
		n -= 14;
		while (k < n && s[k] != ' ')
			k++;
		return k ? xstrndup(s, k) : NULL;
	}
	if (mem_startswith(s, n, "CPU: ") && memmem(s, n, " Comm: ", 7))
		return report_cpu_line_release(s, n);
	return NULL;
}
