/* util.c - diagnostics, memory and string helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <emmintrin.h>

#include "kt.h"

const struct kt_exit_code kt_exit_codes[] = {
	{ KT_EXIT_OK, "success; no report needs attention" },
	{ KT_EXIT_FINDINGS, "reports that need attention were found (see --fail-on)" },
	{ KT_EXIT_USAGE, "bad command line" },
	{ KT_EXIT_INPUT, "some input could not be read; the rest was processed and stored" },
	{ KT_EXIT_STORE, "the database could not be opened, read or written" },
	{ KT_EXIT_SYMBOLS, "the vmlinux, a module, the source tree or a rules file could not be used" },
	{ KT_EXIT_INTERNAL, "internal error (out of memory, write error on standard output, a mapped file unreadable)" },
	{ -1, NULL },
};

/* ---------------------------------------------------------------------- */
/* untrusted text on a terminal */

/*
 * A code point that must not reach a terminal as itself: C1 controls
 * (U+0080-U+009F) and the bidirectional controls that reorder what is shown.
 */
static bool term_unsafe_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes) and its code
 * point, or 0 when it is not one (overlong, surrogate, beyond U+10FFFF, cut).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * How many of the first bytes of s[0, n) are printable ASCII (0x20-0x7e;
 * and newlines with KT_TERM_KEEP_NL), to be shown as they are: 16 bytes a
 * step (SSE2, the baseline), then byte by byte.
 */
static size_t term_plain_prefix(const char *s, size_t n, unsigned flags)
{
	const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f), nl = _mm_set1_epi8('\n');
	const bool keep_nl = flags & KT_TERM_KEEP_NL;
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		/* signed: bytes from 0x80 on are below 0x1f */
		__m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));

		if (keep_nl)
			ok = _mm_or_si128(ok, _mm_cmpeq_epi8(v, nl));
		if (_mm_movemask_epi8(ok) != 0xffff)
			break;
	}
	while (i < n && ((s[i] >= 0x20 && s[i] < 0x7f) || (keep_nl && s[i] == '\n')))
		i++;
	return i;
}

/*
 * One step over s[*i]: what to show for it, in esc (NUL-terminated) or, when
 * it may be shown as it is, NULL with *len its bytes (a plain run at once:
 * term_plain_prefix()).  *i moves past it.
 */
static const char *term_step(const char *s, size_t n, size_t *i, unsigned flags, char esc[12], size_t *len)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	uint32_t cp;
	size_t k = term_plain_prefix(s + *i, n - *i, flags);

	if (k) {
		*i += k;
		*len = k;
		return NULL;
	}
	if (*p == '\t') {
		*i += 1;
		*len = 1;
		return NULL;
	}
	if (*p == '\n' || *p == '\r') {
		snprintf(esc, 12, "\\%c", *p == '\n' ? 'n' : 'r');
	} else if (*p < 0x80) {
		snprintf(esc, 12, "\\x%02x", *p);
	} else if ((k = utf8_decode(p, n - *i, &cp)) == 0) {
		snprintf(esc, 12, "\\x%02x", *p);
	} else if (term_unsafe_cp(cp)) {
		snprintf(esc, 12, "\\u%04x", (unsigned)cp);
		*i += k;
		return esc;
	} else {
		*i += k;
		*len = k;
		return NULL;
	}
	*i += 1;
	return esc;
}

void sbuf_add_term(struct sbuf *sb, const char *s, size_t n, unsigned flags)
{
	char esc[12];
	size_t i = 0, start, len;
	const char *e;

	sbuf_grow(sb, n);
	while (i < n) {
		start = i;
		e = term_step(s, n, &i, flags, esc, &len);
		if (e)
			sbuf_adds(sb, e);
		else
			sbuf_add(sb, s + start, len);
	}
}

void sbuf_add_safe(struct sbuf *sb, const char *s, size_t n)
{
	sbuf_add_term(sb, s, n, 0);
}

char *kt_quote_term(const char *s)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_add_safe(&sb, s, strlen(s));
	return sbuf_detach(&sb);
}

ssize_t kt_read(int fd, void *buf, size_t n, const _Atomic int *stop, const struct kt_quiet *quiet)
{
	bool said = false;

	for (;;) {
		ssize_t r;

		if (stop) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int ready = poll(&p, 1, 100);

			if (*stop)
				return 0;
			if (ready == 0 && quiet && quiet->fn && !said) {
				said = true;
				quiet->fn(quiet->data);
			}
			if (ready == 0 || (ready < 0 && errno == EINTR))
				continue;
		}
		r = read(fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

void kt_fputs_term(FILE *fp, const char *s, unsigned flags)
{
	char esc[12];
	size_t n = strlen(s), i = 0, start, len;
	const char *e;

	while (i < n) {
		start = i;
		e = term_step(s, n, &i, flags, esc, &len);
		if (e)
			fputs(e, fp);
		else
			fwrite(s + start, 1, len, fp);
	}
}

/* ---------------------------------------------------------------------- */
/* diagnostics */

void kt_diag_line(const struct ctx *ctx, const char *line)
{
	if (ctx && ctx->diag) {
		ctx->diag(ctx->diag_data, line);
	} else {
		fflush(stdout);
		fputs(line, stderr);
	}
}

/* "kcsan-triage: KIND: POS: message": the whole line made safe for a terminal. */
static void vreport(const struct ctx *ctx, const char *kind, const char *pos, const char *fmt, va_list ap)
{
	struct sbuf sb = SBUF_INIT;
	char *msg = xvasprintf(fmt, ap);

	sbuf_addf(&sb, "%s: %s: ", KT_PROG, kind);
	if (pos && *pos) {
		sbuf_add_safe(&sb, pos, strlen(pos));
		sbuf_adds(&sb, ": ");
	}
	sbuf_add_safe(&sb, msg, strlen(msg));
	sbuf_addc(&sb, '\n');
	kt_diag_line(ctx, sb.buf);
	sbuf_release(&sb);
	free(msg);
}

void kt_error(struct ctx *ctx, int exit_code, const char *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctx, "error", pos, fmt, ap);
	va_end(ap);
	if (ctx) {
		ctx->errors++;
		if (exit_code > ctx->worst_exit)
			ctx->worst_exit = exit_code;
	}
}

void kt_warn(struct ctx *ctx, const char *pos, const char *fmt, ...)
{
	va_list ap;

	if (ctx)
		ctx->warnings++;
	if (ctx && ctx->quiet)
		return;
	va_start(ap, fmt);
	vreport(ctx, "warning", pos, fmt, ap);
	va_end(ap);
}

void kt_warn_exit(struct ctx *ctx, int exit_code, const char *pos, const char *fmt, ...)
{
	va_list ap;

	if (ctx) {
		ctx->warnings++;
		if (exit_code > ctx->worst_exit)
			ctx->worst_exit = exit_code;
	}
	if (ctx && ctx->quiet)
		return;
	va_start(ap, fmt);
	vreport(ctx, "warning", pos, fmt, ap);
	va_end(ap);
}

/* Out of memory comes here: a fixed buffer, no allocation. */
void kt_die(const char *fmt, ...)
{
	va_list ap;
	char tmp[1024];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "%s: fatal: ", KT_PROG);
	kt_fputs_term(stderr, tmp, 0);
	fputc('\n', stderr);
	exit(KT_EXIT_INTERNAL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		kt_die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		kt_die("out of memory (%zu bytes)", n * m);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		kt_die("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		kt_die("vsnprintf failed");
	sbuf_grow(&sb, (size_t)n + 1);
	vsnprintf(sb.buf, (size_t)n + 1, fmt, ap);
	sb.len = (size_t)n;
	return sbuf_detach(&sb);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

int sbuf_read_file(struct sbuf *sb, FILE *fp)
{
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sbuf_add(sb, buf, n);
	return ferror(fp) ? -1 : 0;
}

/* sbuf_grow()'s slow path: at least need bytes, doubling. */
void sbuf_grow_to(struct sbuf *sb, size_t need)
{
	if (need <= sb->cap)
		return;
	if (need < sb->cap * 2)
		need = sb->cap * 2;
	if (need < 64)
		need = 64;
	sb->buf = xrealloc(sb->buf, need);
	sb->cap = need;
}

void sbuf_adds(struct sbuf *sb, const char *s)
{
	sbuf_add(sb, s, strlen(s));
}

const char *kt_udec(char buf[KT_UDEC_MAX], unsigned long long v, size_t *n)
{
	char *p = buf + KT_UDEC_MAX;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	*n = (size_t)(buf + KT_UDEC_MAX - p);
	return p;
}

void sbuf_add_udec(struct sbuf *sb, unsigned long long v)
{
	char buf[KT_UDEC_MAX];
	size_t n;
	const char *p = kt_udec(buf, v, &n);

	sbuf_add(sb, p, n);
}

void sbuf_add_dec(struct sbuf *sb, long long v)
{
	if (v < 0)
		sbuf_addc(sb, '-');
	sbuf_add_udec(sb, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
}

void sbuf_add_hex(struct sbuf *sb, unsigned long long v)
{
	char buf[16], *p = buf + sizeof(buf);

	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	sbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = 0;
}

void sbuf_release(struct sbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *xplace(const char *name, unsigned long long line)
{
	struct sbuf b = SBUF_INIT;
	size_t n = strlen(name);

	sbuf_grow(&b, n + 21);
	sbuf_add(&b, name, n);
	sbuf_addc(&b, ':');
	sbuf_add_udec(&b, line);
	return sbuf_detach(&b);
}

char *sbuf_detach(struct sbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

bool str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool mem_startswith(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/*
 * Compiler-made clones carry suffixes: foo.isra.0, foo.constprop.3,
 * foo.part.1, foo.cold, foo.llvm.123456.  They name the same source
 * function.
 */
void func_base_name(const char *func, char *out, size_t outsz)
{
	const char *dot = strchr(func, '.');
	size_t n = dot ? (size_t)(dot - func) : strlen(func);

	if (n == 0)         /* a name that starts with a dot: keep it */
		n = strlen(func);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, func, n);
	out[n] = 0;
}

void kt_format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *kt_tmp_template(void)
{
	const char *dir = getenv("TMPDIR");

	return xasprintf("%s/kcsan-triage-XXXXXX", dir && *dir ? dir : "/tmp");
}

FILE *kt_tmpfile(void)
{
	char *path = kt_tmp_template();
	int fd = mkstemp(path), e;
	FILE *fp = NULL;

	if (fd >= 0) {
		unlink(path);
		fp = fdopen(fd, "w+");
		if (!fp) {
			e = errno;
			close(fd);
			errno = e;
		}
	}
	free(path);
	return fp;
}
