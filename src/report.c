/* report.c - the report model: lifetime, names, identity hashes. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
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

static void cls_release(struct classification *c)
{
	free(c->field);
	free(c->rule);
	free(c->evidence);
	free(c->reason);
	free(c->marking);
	free(c->near_miss);
	memset(c, 0, sizeof(*c));
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
	free(r->source);
	for (int i = 0; i < REPORT_MAX_ACCESSES; i++)
		access_release(&r->acc[i]);
	sbuf_release(&r->raw);
	sbuf_release(&r->norm);
	cls_release(&r->cls);
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

	ALLOC_GROW(a->frames, a->nframes, a->frames_cap);
	f = &a->frames[a->nframes++];
	memset(f, 0, sizeof(*f));
	return f;
}

const char *access_type_name(enum access_type t)
{
	switch (t) {
	case ACC_READ: return "read";
	case ACC_WRITE: return "write";
	case ACC_READ_WRITE: return "read-write";
	case ACC_ASSERT_NO_WRITES: return "assert no writes";
	case ACC_ASSERT_NO_ACCESSES: return "assert no accesses";
	}
	return "?";
}

static const char *const verdict_names[] = {
	[V_NONE] = "none",
	[V_DEVICE_ORIGIN] = "device-origin",
	[V_REAL_RACE] = "real-race",
	[V_UNKNOWN_ORIGIN] = "unknown-origin",
};

const char *verdict_name(enum verdict v)
{
	return verdict_names[v];
}

int verdict_from_name(const char *s)
{
	for (int v = V_DEVICE_ORIGIN; v <= V_UNKNOWN_ORIGIN; v++)
		if (!strcmp(s, verdict_names[v]))
			return v;
	return -1;
}

const char *writer_name(enum writer w)
{
	switch (w) {
	case W_DEVICE: return "device";
	case W_HYPERVISOR: return "hypervisor";
	case W_USER: return "user";
	case W_NONE: break;
	}
	return NULL;
}

const char *confidence_name(enum confidence c)
{
	switch (c) {
	case CONF_LIKELY: return "likely";
	case CONF_CERTAIN: return "certain";
	case CONF_NONE: break;
	}
	return NULL;
}

const char *bug_type_name(enum bug_type b)
{
	return b == BUG_ASSERT ? "assert" : b == BUG_UNKNOWN ? "unknown" : "data-race";
}

static void hash_hex(const void *p, size_t n, char out[33])
{
	XXH128_hash_t h = XXH3_128bits(p, n);

	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
}

/*
 * An occurrence is identified by its normalized text: the report's lines
 * that the parser recognized, stripped of everything a transport added
 * (quoting, mail encodings, syslog prefixes, interleaved console noise),
 * plus the printk time of its first line.  Scanning the same log again, or
 * the same report quoted in a mail, gives the same hash; the same report
 * printed twice at different times gives two.
 */
void report_occurrence_hash(const struct report *r, char out[33])
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, r->log_time ? r->log_time : "");
	sbuf_addc(&sb, '\n');
	sbuf_add(&sb, sbuf_str(&r->norm), r->norm.len);
	hash_hex(sb.buf, sb.len, out);
	sbuf_release(&sb);
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
	char *keys[REPORT_MAX_ACCESSES];
	char base[256];

	sbuf_addf(&sb, "%s|%s|%d|", r->title ? r->title : "-",
		  bug_type_name(r->bug_type), r->unknown_origin);
	for (int i = 0; i < r->nacc; i++) {
		struct sbuf k = SBUF_INIT;
		const struct access *a = &r->acc[i];
		int want = 1;

		sbuf_adds(&k, access_type_name(a->type));
		for (size_t j = 0; j < a->nframes && want > 0; j++) {
			if (a->frames[j].inlined || a->frames[j].unreliable)
				continue;
			func_base_name(a->frames[j].func, base, sizeof(base));
			sbuf_addf(&k, ",%s", base);
			want--;
			if (want == 0 && j + 1 < a->nframes && generic_helper(base))
				want = 1;
		}
		keys[i] = sbuf_detach(&k);
	}
	qsort(keys, (size_t)r->nacc, sizeof(keys[0]), cmp_str);
	for (int i = 0; i < r->nacc; i++) {
		sbuf_addf(&sb, "%s;", keys[i]);
		free(keys[i]);
	}
	hash_hex(sb.buf, sb.len, out);
	sbuf_release(&sb);
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
	sbuf_adds(&sb, " (no BUG line)");
	return sbuf_detach(&sb);
}
