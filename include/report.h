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
	uint64_t addr;         /* raw address frames (func == "0x...") */
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

struct classification {
	enum verdict verdict;
	enum writer writer;
	enum confidence confidence;
	char *field;           /* "struct vring_used.idx" */
	char *rule;            /* the rule's name */
	char *evidence;        /* one or more sentences naming every fact used */
	char *reason;          /* the same in one short line, for tables */
	char *marking;         /* suggested marking */
	char *near_miss;
	int level;             /* how much evidence was available (higher: more) */
};

struct report {
	char *title;           /* "KCSAN: data-race in A / B", NULL if no BUG line */
	enum bug_type bug_type;
	bool unknown_origin;
	bool truncated;
	bool has_value;
	char *value_old, *value_new;
	char *bits_changed, *bits_mask;
	char *kernel;          /* release string from the CPU: line */
	long rep_pid;          /* from the CPU: line, -1 if none */
	int rep_cpu;
	char *comm;
	char *hardware;
	char *log_time;        /* the printk timestamp of the first line, as printed */
	struct access acc[REPORT_MAX_ACCESSES];
	int nacc;
	/* where it was found */
	char *source;          /* file name, or "-" for stdin */
	uint64_t line, end_line, offset;
	struct sbuf raw;       /* the report's lines as read (decoded), capped */
	struct sbuf norm;      /* the normalized lines that were recognized: hash input */
	size_t head_len;       /* norm up to the first access line: the report's head */
	struct classification cls;
};

void report_init(struct report *r);
void report_release(struct report *r);
struct report *report_new(void);
void report_free(struct report *r);

struct frame *access_add_frame(struct access *a);
void frame_release(struct frame *f);

const char *access_type_name(enum access_type t);
const char *verdict_name(enum verdict v);
const char *writer_name(enum writer w);
const char *confidence_name(enum confidence c);
const char *bug_type_name(enum bug_type b);
int verdict_from_name(const char *s);   /* -1 if unknown */

/* The report's hash of its normalized text (identifies an occurrence). */
void report_occurrence_hash(const struct report *r, char out[33]);
void report_head_hash(const struct report *r, char out[33]);
/* The signature: title plus the normalized top frames. */
void report_signature(const struct report *r, char out[33]);
/* A display title: the title, or one made from the top frames. */
char *report_display_title(const struct report *r);
/* The first frame of the first access that is a real function (no KCSAN runtime). */
const struct frame *report_top_frame(const struct report *r, int acc);

#endif
