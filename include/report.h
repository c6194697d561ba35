/* report.h - the report model shared by every stage of the pipeline. */
#ifndef REPORT_H
#define REPORT_H

#include "kt.h"

#define REPORT_MAX_ACCESSES 2
#define REPORT_MAX_FRAMES 96     /* per stack; more are counted, not kept */
#define REPORT_MAX_RAW (64 * 1024)

enum access_type {
	ACC_READ,
	ACC_WRITE,
	ACC_READ_WRITE,
	ACC_ASSERT_NO_WRITES,
	ACC_ASSERT_NO_ACCESSES,
};

enum access_ctx { CTX_TASK, CTX_INTERRUPT };

enum bug_type { BUG_DATA_RACE, BUG_ASSERT, BUG_UNKNOWN /* a kind this tool does not know */ };

enum verdict { V_NONE, V_DEVICE_ORIGIN, V_REAL_RACE, V_UNKNOWN_ORIGIN };

enum writer { W_NONE, W_DEVICE, W_HYPERVISOR, W_USER };

enum confidence { CONF_NONE, CONF_LIKELY, CONF_CERTAIN };

/*
 * One stack entry.  A frame parsed from the log names a function, maybe an
 * offset and size (func+0xOFF/0xSIZE), a module, and maybe a source location
 * that the log already carried (syzbot, decode_stacktrace, faddr2line).  The
 * symbolizer fills file/line/column and inserts inline frames.
 */
struct frame {
	char *func;            /* "virtqueue_get_buf_ctx_split", or "0xc26420dc" */
	char *module;          /* "virtio_console", NULL for vmlinux */
	char *buildid;         /* module build id when printed */
	char *file;            /* source file, when known */
	char *src;             /* the source line's text, when read */
	char *comp_dir;        /* DWARF compilation directory of file, when symbolized */
	char *locs;            /* inline locations the log gave inside this frame, innermost
				  first: "func\tfile:line\n" lines (func may be empty) */
	uint64_t off, size;    /* valid when has_off */
	uint64_t addr;         /* raw address frames (func == "0x..."); else the address an old x86
				  "[<ffffffff81234567>] func+0xOFF" entry printed (0: none) */
	int line, column;      /* 0 when unknown */
	bool has_off;
	bool is_addr;          /* an unsymbolized 0x... entry */
	bool unreliable;       /* printed with "? " */
	bool inlined;          /* an inline level, not a real call frame */
	bool given;            /* file:line came with the log (not symbolized) */
	bool symbolized;       /* file:line came from DWARF */
	char *sym_note;        /* symbolizer's per-frame remark (mismatch ...) */
};

struct access {
	enum access_type type;
	bool marked, reordered, scoped;
	bool unknown_origin;   /* printed as "race at unknown origin, with ..." */
	bool has_addr;
	uint64_t addr;
	bool has_size;
	uint64_t size;
	enum access_ctx ctx;
	long pid;              /* -1: none printed */
	int cpu;               /* -1: none printed */
	char *task;            /* "by task NAME" when no pid was printed */
	struct frame *frames;
	size_t nframes, frames_cap;
	size_t frames_dropped; /* beyond REPORT_MAX_FRAMES */
	bool elided;           /* "..." or "[...]" in the stack */
	struct frame *reordered_to;
};

/* Where a member's layout came from. */
enum layout_source { LAYOUT_NONE, LAYOUT_RULE, LAYOUT_DWARF };

/* Which of the classifier's cases decided the verdict. */
enum cls_basis {
	BASIS_NONE,
	BASIS_TWO_STACKS,      /* KCSAN printed both accesses (or a cut report): a real race */
	BASIS_ONE_STACK,       /* not "unknown origin", yet fewer than two stacks, not cut short */
	BASIS_ASSERT_RACE,     /* an assertion violated by another kernel access */
	BASIS_ASSERT_UNKNOWN,  /* an assertion saw the value change, not the writer */
	BASIS_MEMBER_FITS,     /* unknown origin, and a rule's member fits the access */
	BASIS_NEAR_MISS,       /* unknown origin; a rule's functions match, none of its members fits */
	BASIS_NO_RULE,         /* unknown origin; no rule covers the stack */
	BASIS_STORED,          /* sentences a schema-1 store kept instead of facts */
};

/* Why a member of the matched struct is not a candidate. */
enum exclusion { EXCL_SIZE, EXCL_OFFSET };

/*
 * How the data object behind an access's address was named, or why it was
 * not (the address is in the kernel image or the module area, but where the
 * object was loaded is not known from the log).
 */
enum var_basis {
	VARB_NONE,
	VARB_IMAGE,            /* at the vmlinux's link address: the report shows no KASLR slide */
	VARB_SLIDE_GIVEN,      /* the vmlinux's address plus the slide given (--kaslr-offset) */
	VARB_SLIDE_FRAMES,     /* plus the slide every "[<addr>] func+off" text frame of the report agrees on */
	VARB_MODULE_CODE,      /* a module's: the relocated operand of the access's instrumentation call */
	VARB_SLIDE_UNKNOWN,    /* not named: it does not fit the image, and the KASLR slide is not known */
	VARB_MODULE_UNKNOWN,   /* not named: in the module area, and the module's load address is not in the log */
};

/* The kernel variable an access's address falls in ("belongs to the variable"). */
struct cls_variable {
	enum var_basis basis;
	char *name;            /* "cpus_stop_mask"; NULL when not named */
	uint64_t offset;       /* of the address in it */
	uint64_t size;         /* its size (st_size) */
	char *section;         /* ".bss", ".data..ro_after_init", ".data..percpu" */
	char *object;          /* "vmlinux", or the module's name; for VARB_MODULE_UNKNOWN the stack's first module */
	bool percpu;           /* in the per-cpu section, at its address in the image */
	uint64_t slide;        /* the KASLR slide taken off the address (VARB_SLIDE_*) */
};

/* A place the verdict names. */
struct cls_place {
	char *func;            /* NULL or empty: unknown */
	char *file;
	int line;
};

struct cls_excluded {
	char *member;
	enum exclusion why;
};

/*
 * The verdict as facts: what the classifier found, not sentences.  The
 * renderer words them (render_verdict_text()); the store keeps them per
 * occurrence.
 */
struct classification {
	enum verdict verdict;
	enum cls_basis basis;
	enum writer writer;
	enum confidence confidence;
	int level;             /* how much evidence was available (higher: more) */
	int stacks;            /* how many accesses the report printed */
	/* the access it was judged on (the first one) */
	enum access_type acc_type;
	bool has_addr, has_size;
	uint64_t addr, size;
	/* the rule: the one that fits, or the nearest for a near miss */
	char *rule;            /* the struct's name: "vring_used" */
	char *origin;          /* where the rule is written: "virtio.rules:3" */
	char *family;
	char *reference;
	enum writer rule_writer;
	uint64_t align;
	/* the member that fits */
	char *member;          /* "idx" */
	uint64_t offset, member_size, stride;
	enum layout_source layout;
	/* where it is read */
	struct cls_place where;   /* the location that matched (function, file or expression) */
	struct cls_place top;     /* the top of the stack (has_top) */
	bool has_top;
	char *inlined_in;      /* the real frame's function when where is an inline level */
	bool expr_matched;     /* the source expression matched (expr is the text) */
	bool member_func;      /* the member's own function patterns matched */
	bool source_read;      /* a source line of the top could be read */
	char *expr;
	struct cls_excluded *excluded;   /* the struct's other members that do not fit */
	size_t nexcluded;
	char **also;           /* other fitting members, "struct.member" */
	size_t nalso;
	/* the kernel variable the address falls in (from the vmlinux and modules) */
	struct cls_variable var;
	/* BASIS_STORED: the sentences of a schema-1 store */
	struct {
		char *evidence, *marking, *rule, *field;
	} stored;
};

void classification_release(struct classification *c);
void cls_variable_release(struct cls_variable *v);
void cls_variable_copy(struct cls_variable *dst, const struct cls_variable *src);
/* The field it names, "struct vring_used.idx", or NULL. */
char *classification_field(const struct classification *c);
/* Deep copy. */
void classification_copy(struct classification *dst, const struct classification *src);

/* A person's verdict on a signature: verdict V_NONE when there is none. */
struct verdict_label {
	enum verdict verdict;
	char *note;
	char *time;
};

void verdict_label_release(struct verdict_label *l);
/* The verdict that counts: the label when there is one, else the tool's. */
enum verdict effective_verdict(enum verdict tool, const struct verdict_label *l);

/*
 * What a mail or a syzbot report carried around a report: syzbot's header
 * block ("HEAD commit:", "git tree:", the URLs), the extid of its
 * "Reported-by: syzbot+EXTID@syzkaller.appspotmail.com", and the mail's
 * Date:, Message-ID: and Subject:.  Values as written (trimmed); NULL:
 * not said.  mailmeta.h reads them; the names are mailmeta_field_name()'s.
 */
enum meta_field {
	META_EXTID, META_HEAD_COMMIT, META_GIT_TREE, META_CONSOLE, META_CONFIG, META_DASHBOARD,
	META_SYZ_REPRO, META_C_REPRO, META_DATE, META_MESSAGE_ID, META_SUBJECT, META_NFIELDS,
};

struct report_meta {
	char *v[META_NFIELDS];
};
void report_meta_free(struct report_meta *m);
struct report_meta *report_meta_dup(const struct report_meta *m);

struct report {
	char *title;           /* "KCSAN: data-race in A / B", NULL if no BUG line */
	enum bug_type bug_type;
	bool unknown_origin;
	bool truncated;
	bool bug_corrupt;      /* its BUG line had another console line merged into it: no title */
	bool has_value;
	char *value_old, *value_new;
	char *bits_changed, *bits_mask;
	char *kernel;          /* release string from the CPU: line */
	long rep_pid;          /* from the CPU: line, -1 if none */
	int rep_cpu;
	char *comm;
	char *hardware;
	char *log_time;        /* the printk timestamp of the first line, as printed */
	char *event_time;      /* the wall-clock time of its BUG line (or first line with one), else
				  of its mail's Date:: "2026-12-01T14:03:07Z" (UTC), or without the
				  "Z" when the log gave no zone; NULL: unknown (evtime.h) */
	struct report_meta *meta;  /* NULL: no mail or syzbot metadata */
	struct access acc[REPORT_MAX_ACCESSES];
	int nacc;
	/* where it was found */
	char *source;          /* file name, or "-" for stdin */
	uint64_t line, end_line, offset;
	struct sbuf raw;       /* the report's lines as read (decoded), capped */
	struct sbuf norm;      /* the normalized lines that were recognized: hash input */
	size_t head_len;       /* norm up to the first access line: the report's head */
	struct classification cls;
	struct verdict_label label;   /* its signature's label, when known from the store */
};

void report_init(struct report *r);
void report_release(struct report *r);
struct report *report_new(void);
void report_free(struct report *r);

struct frame *access_add_frame(struct access *a);
void frame_release(struct frame *f);

/*
 * Names of the enums, one table each.  X_name() gives the name (NULL for a
 * "none" value that has none); X_from_name() is strict: the value, or -1 for
 * any other string.
 */
const char *access_type_name(enum access_type t);
int access_type_from_name(const char *s);
const char *access_ctx_name(enum access_ctx c);
int access_ctx_from_name(const char *s);
const char *verdict_name(enum verdict v);
int verdict_from_name(const char *s);   /* the three verdicts; "none" is no verdict */
const char *writer_name(enum writer w);
int writer_from_name(const char *s);
const char *confidence_name(enum confidence c);
int confidence_from_name(const char *s);
const char *bug_type_name(enum bug_type b);
int bug_type_from_name(const char *s);
const char *layout_source_name(enum layout_source l);
int layout_source_from_name(const char *s);
const char *cls_basis_name(enum cls_basis b);
int cls_basis_from_name(const char *s);
const char *exclusion_name(enum exclusion e);
int exclusion_from_name(const char *s);
const char *var_basis_name(enum var_basis b);
int var_basis_from_name(const char *s);

/* The report's hash of its normalized text (identifies an occurrence). */
void report_occurrence_hash(const struct report *r, char out[33]);
void report_head_hash(const struct report *r, char out[33]);
/* The signature: title plus the normalized top frames. */
void report_signature(const struct report *r, char out[33]);
/* The signature's stable ID: its hash's first 16 hex digits (64 bits), for triage files, JSON, SARIF. */
#define REPORT_SIG_ID_LEN 16
void report_signature_id(const struct report *r, char out[REPORT_SIG_ID_LEN + 1]);
/* A display title: the title, or one made from the top frames ("(no BUG line)", "(BUG line corrupted)"). */
char *report_display_title(const struct report *r);
/* The first frame of the first access that is a real function (no KCSAN runtime). */
const struct frame *report_top_frame(const struct report *r, int acc);

/*
 * The kernel release of a report's "CPU: ... Comm: ..." line (the last
 * "X.Y... #N" of it, else its last token that looks like a release), or NULL.
 */
char *report_cpu_line_release(const char *s, size_t n);
/* The same for any line: "Linux version X ..." or a CPU: line; NULL for others. */
char *report_line_release(const char *s, size_t n);

#endif
