/* kt.h - common definitions of kcsan-triage: context, errors, memory, buffers. */
#ifndef KT_H
#define KT_H

#include <sys/types.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define KT_PROG "kcsan-triage"

/*
 * Exit status.  One table (kt_exit_codes[] in util.c) documents them for
 * --help; the man page lists the same and a test checks the agreement.
 */
enum kt_exit {
	KT_EXIT_OK = 0,        /* success; nothing that needs attention */
	KT_EXIT_FINDINGS = 1,  /* reports that need attention (see --fail-on) */
	KT_EXIT_USAGE = 2,     /* bad command line */
	KT_EXIT_INPUT = 3,     /* some input could not be read (the rest was processed) */
	KT_EXIT_STORE = 4,     /* the database could not be opened, written or read */
	KT_EXIT_SYMBOLS = 5,   /* vmlinux, modules or rules could not be used */
	KT_EXIT_INTERNAL = 6,  /* out of memory, write error on stdout, internal error */
};

struct kt_exit_code {
	int code;
	const char *meaning;
};
extern const struct kt_exit_code kt_exit_codes[];

enum kt_format { KT_FMT_TEXT, KT_FMT_JSON, KT_FMT_CSV };

struct store;
struct symbolizer;
struct rules;

/* Everything a command needs; no globals for options. */
struct ctx {
	const char *db_path;       /* --db, $KCSAN_TRIAGE_DB, $XDG_DATA_HOME/kcsan-triage/kcsan-triage.db */
	struct store *store;       /* opened by the dispatcher for commands that need it */
	struct rules *rules;       /* the knowledge base (embedded + --rules) */
	struct symbolizer *sym;    /* opened by the dispatcher when --vmlinux is given */
	const char *vmlinux;       /* its path */
	const char **rules_files;  /* --rules, in order */
	int n_rules_files;
	int errors;                /* counted by kt_error() */
	int warnings;
	int worst_exit;            /* the worst error status seen (kt_exit) */
	int quiet;
	int64_t now;               /* the clock: time(NULL) or $SOURCE_DATE_EPOCH */
	/* standard output as a person sees it (term.h), decided before a pager starts */
	bool color;                /* SGR colour for verdicts and emphasis */
	bool tty;                  /* standard output is a terminal */
	int columns;               /* its width when it is a terminal; 0: not one (no truncation) */
	bool no_pager;             /* --no-pager */
	int pager_pid;             /* the running pager, 0: none */
	/* set: every diagnostic line goes to diag(diag_data, line) instead of stderr
	   (a scan worker's, printed later in input order; the progress line's) */
	void (*diag)(void *data, const char *line);
	void *diag_data;
	/* set: nonzero asks the work to stop (scan's SIGINT or SIGTERM): a wait for a pipe's data ends on it */
	const _Atomic int *stop;
};

/* Diagnostics: "kcsan-triage: error: POS: message".  pos may be NULL. */
void kt_error(struct ctx *ctx, int exit_code, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void kt_warn(struct ctx *ctx, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A diagnostic line made before (a "kcsan-triage: KIND: ...\n" line), said now as kt_error() would. */
void kt_diag_line(const struct ctx *ctx, const char *line);
/* A warning that also raises the exit status (input partly read, say). */
void kt_warn_exit(struct ctx *ctx, int exit_code, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Fatal internal failure (out of memory): message and exit. */
_Noreturn void kt_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Memory: these never return NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "name:line", the place of a line as messages and summaries give it (no printf: summaries make one a report). */
char *xplace(const char *name, unsigned long long line);
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Growable byte buffer, always NUL-terminated. */
struct sbuf {
	char *buf;
	size_t len, cap;
};
#define SBUF_INIT { NULL, 0, 0 }
void sbuf_grow_to(struct sbuf *sb, size_t need);
/* Room for extra more bytes and the NUL (inline: the common case is a compare). */
static inline void sbuf_grow(struct sbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 > sb->cap)
		sbuf_grow_to(sb, sb->len + extra + 1);
}
static inline void sbuf_add(struct sbuf *sb, const void *p, size_t n)
{
	sbuf_grow(sb, n);
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}
static inline void sbuf_addc(struct sbuf *sb, char c)
{
	sbuf_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = 0;
}
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number as "%lld", "%llu" and "%llx" write it, without printf (the store's hot path). */
void sbuf_add_dec(struct sbuf *sb, long long v);
/* v in decimal at the end of buf, without printf: its first digit, *n its digits. */
#define KT_UDEC_MAX 20
const char *kt_udec(char buf[KT_UDEC_MAX], unsigned long long v, size_t *n);
void sbuf_add_udec(struct sbuf *sb, unsigned long long v);
void sbuf_add_hex(struct sbuf *sb, unsigned long long v);
void sbuf_reset(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
/* Append everything fp has left: 0, or -1 on a read error (errno says which). */
int sbuf_read_file(struct sbuf *sb, FILE *fp);
/* Detach the buffer: the caller frees the result (never NULL). */
char *sbuf_detach(struct sbuf *sb);
static inline const char *sbuf_str(const struct sbuf *sb) { return sb->buf ? sb->buf : ""; }

/*
 * Untrusted text for a terminal (every diagnostic goes through it): C0
 * controls but tab, DEL, C1 controls (raw bytes and UTF-8 U+0080-U+009F),
 * the bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9) and
 * invalid UTF-8 become visible escapes: \n, \r, \x1b, \u202e.  Valid printable
 * UTF-8 passes; a backslash is left as it is.  KT_TERM_KEEP_NL lets
 * newlines through (multi-line text on stdout).
 */
#define KT_TERM_KEEP_NL 1u
void sbuf_add_term(struct sbuf *sb, const char *s, size_t n, unsigned flags);
void sbuf_add_safe(struct sbuf *sb, const char *s, size_t n);   /* flags 0 */
void kt_fputs_term(FILE *fp, const char *s, unsigned flags);

struct kt_quiet {
	void (*fn)(void *data);
	void *data;
};
/*
 * read(2), again when a signal interrupts it; with stop (a pipe's, FIFO's
 * or terminal's descriptor: one that may wait for ever), the wait for data
 * ends when *stop is set (looked at every 100 ms): 0 then, as at its end.
 * With stop, quiet (may be NULL, or its fn) is called when the wait has
 * lasted 100 ms with nothing to read, once each time the descriptor goes
 * quiet: what the caller holds for its next data can be let go.
 */
ssize_t kt_read(int fd, void *buf, size_t n, const _Atomic int *stop, const struct kt_quiet *quiet);
/* The same as a new string (the caller frees it). */
char *kt_quote_term(const char *s);
/* A temporary file's name for mkstemp(): $TMPDIR (or /tmp)/kcsan-triage-XXXXXX (the caller frees it). */
char *kt_tmp_template(void);
/* A temporary file there, open for writing and reading, removed already; NULL: errno. */
FILE *kt_tmpfile(void);

/* Growable array helper. */
#define ALLOC_GROW(p, n, cap) do { \
	if ((n) >= (cap)) { \
		(cap) = (cap) ? (cap) * 2 : 8; \
		if ((cap) <= (n)) (cap) = (n) + 1; \
		(p) = xrealloc((p), (cap) * sizeof(*(p))); \
	} \
} while (0)

/* Small string helpers. */
bool str_startswith(const char *s, const char *prefix);
bool mem_startswith(const char *s, size_t len, const char *prefix);
/* Strip compiler suffixes (.isra.N, .constprop.N, .part.N, .cold, .llvm.N) into out. */
void func_base_name(const char *func, char *out, size_t outsz);
/* Format a Unix time as "YYYY-MM-DDTHH:MM:SSZ". */
void kt_format_time(int64_t t, char out[32]);

#endif
