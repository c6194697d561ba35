/*
 * elfobj_image.c - a compressed object (vmlinux.xz, .ko.gz, .ko.zst,
 * .ko.bz2) decompressed into memory, never beyond the size its own ELF
 * header and tables declare: the header comes first from the stream and
 * bounds the file (the tables' ends), the section table once read bounds
 * it further (its sections' ends).  A bomb is refused as soon as its
 * output passes that size; a stream that is not an ELF after its first
 * bytes, at once.  See elfobj.h.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decompress.h"
#include "elfobj.h"
#include "kt.h"

/* How much a read asks the decoder for at most: the buffer grows in steps no larger. */
#define ELFOBJ_IMAGE_STEP (16U << 20)

/* Where the decompression stands: the bytes kept, and the size the ELF declares so far. */
struct elfobj_inflate {
	struct decomp *d;
	enum decomp_kind kind;
	char *buf;
	size_t len, cap;
	uint64_t bound;         /* the ELF's size as far as its header and tables tell */
	uint64_t limit;         /* $KCSAN_TRIAGE_MAX_DECOMPRESSED */
	int stage;              /* 0: no header yet, 1: header read, 2: section table read */
	uint64_t shoff, shnum, shentsize, tabend;
	bool is64, be;
	char *why;
	size_t whylen;
};

static bool elfobj_image_fail(struct elfobj_inflate *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set the reason (without the file's name, which the caller adds); always false. */
static bool elfobj_image_fail(struct elfobj_inflate *z, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(z->why, z->whylen, fmt, ap);
	va_end(ap);
	return false;
}

/* An n-byte field at off of the kept bytes, in the ELF's byte order. */
static uint64_t elfobj_image_field(const struct elfobj_inflate *z, uint64_t off, int n)
{
	const unsigned char *p = (const unsigned char *)z->buf + off;
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[z->be ? n - 1 - i : i] << (8 * i);
	return v;
}

/* a + b * c, saturated at UINT64_MAX */
static uint64_t elfobj_image_end(uint64_t a, uint64_t b, uint64_t c)
{
	if (c && b > (UINT64_MAX - a) / c)
		return UINT64_MAX;
	return a + b * c;
}

static void elfobj_image_grow_bound(struct elfobj_inflate *z, uint64_t end)
{
	if (end > z->bound)
		z->bound = end;
}

/* The header is in: the ends of the tables it places bound the file. */
static bool elfobj_image_header(struct elfobj_inflate *z)
{
	uint64_t phoff, phnum, phentsize;

	z->is64 = z->buf[EI_CLASS] == ELFCLASS64;
	z->be = z->buf[EI_DATA] == ELFDATA2MSB;
	if (z->is64) {
		phoff = elfobj_image_field(z, 32, 8);
		z->shoff = elfobj_image_field(z, 40, 8);
		phentsize = elfobj_image_field(z, 54, 2);
		phnum = elfobj_image_field(z, 56, 2);
		z->shentsize = elfobj_image_field(z, 58, 2);
		z->shnum = elfobj_image_field(z, 60, 2);
	} else {
		phoff = elfobj_image_field(z, 28, 4);
		z->shoff = elfobj_image_field(z, 32, 4);
		phentsize = elfobj_image_field(z, 42, 2);
		phnum = elfobj_image_field(z, 44, 2);
		z->shentsize = elfobj_image_field(z, 46, 2);
		z->shnum = elfobj_image_field(z, 48, 2);
	}
	if (phoff)
		elfobj_image_grow_bound(z, elfobj_image_end(phoff, phnum, phentsize));
	if (!z->shoff || z->shentsize < (z->is64 ? 64U : 40U)) {
		z->stage = 2;   /* no section table to read: libelf says what is wrong */
		return true;
	}
	/* more sections than 0xff00: the count is section 0's sh_size */
	z->tabend = elfobj_image_end(z->shoff, z->shnum ? z->shnum : 1, z->shentsize);
	elfobj_image_grow_bound(z, z->tabend);
	z->stage = 1;
	return true;
}

/* The section table is in: each section's end bounds the file too. */
static void elfobj_image_sections(struct elfobj_inflate *z)
{
	for (uint64_t i = 0; i < z->shnum; i++) {
		uint64_t sh = z->shoff + i * z->shentsize;
		uint64_t off = elfobj_image_field(z, sh + (z->is64 ? 24 : 16), z->is64 ? 8 : 4);
		uint64_t size = elfobj_image_field(z, sh + (z->is64 ? 32 : 20), z->is64 ? 8 : 4);

		if (elfobj_image_field(z, sh + 4, 4) != SHT_NOBITS && off)
			elfobj_image_grow_bound(z, elfobj_image_end(off, 1, size));
	}
	z->stage = 2;
}

/* Fold what the newly kept bytes tell into the bound: false (with why) when they are no ELF. */
static bool elfobj_image_advance(struct elfobj_inflate *z)
{
	if (z->stage == 0) {
		if (z->len >= SELFMAG && memcmp(z->buf, ELFMAG, SELFMAG) != 0)
			return elfobj_image_fail(z, "not an ELF file after %s decompression", decomp_name(z->kind));
		if (z->len < EI_NIDENT || z->len < (z->buf[EI_CLASS] == ELFCLASS64 ? 64U : 52U))
			return true;
		if (!elfobj_image_header(z))
			return false;
	}
	if (z->stage == 1 && !z->shnum && z->len >= z->shoff + z->shentsize) {
		z->shnum = elfobj_image_field(z, z->shoff + (z->is64 ? 32 : 20), z->is64 ? 8 : 4);
		z->tabend = elfobj_image_end(z->shoff, z->shnum, z->shentsize);
		elfobj_image_grow_bound(z, z->tabend);
		if (!z->shnum)
			z->stage = 2;
	}
	if (z->stage == 1 && z->shnum && z->bound <= z->limit && z->len >= z->tabend)
		elfobj_image_sections(z);
	if (z->bound > z->limit)
		return elfobj_image_fail(z, "the ELF declares %llu bytes, more than the cap of %llu "
					 "($KCSAN_TRIAGE_MAX_DECOMPRESSED)", (unsigned long long)z->bound,
					 (unsigned long long)z->limit);
	return true;
}

/* A decoder's failure in words. */
static bool elfobj_image_decomp_error(struct elfobj_inflate *z, ssize_t r)
{
	if (r == DECOMP_ERR_READ)
		return elfobj_image_fail(z, "%s", strerror(errno));
	return elfobj_image_fail(z, "%s data %s at byte %llu of the file, after %llu decompressed bytes",
				 decomp_name(z->kind), decomp_why(z->d), (unsigned long long)decomp_in_offset(z->d),
				 (unsigned long long)decomp_out_offset(z->d));
}

/* After the ELF's last byte: a module's signature may follow, nothing much more. */
static bool elfobj_image_trailer(struct elfobj_inflate *z)
{
	char tail[4096];
	uint64_t extra = 0;
	ssize_t r;

	while ((r = decomp_read(z->d, tail, sizeof(tail))) > 0) {
		extra += (uint64_t)r;
		if (extra > ELFOBJ_IMAGE_TRAILER_MAX)
			return elfobj_image_fail(z, "decompressed data exceeds the ELF's size (%llu bytes) at byte %llu "
						 "of the file (%s)", (unsigned long long)z->bound,
						 (unsigned long long)decomp_in_offset(z->d), decomp_name(z->kind));
	}
	return r == DECOMP_END || elfobj_image_decomp_error(z, r);
}

/* Decompress into z->buf up to the bound, then what may trail it. */
static bool elfobj_image_run(struct elfobj_inflate *z)
{
	ssize_t r;

	/* before the header, read no more than a header */
	while (z->len < z->bound) {
		size_t want = (size_t)(z->bound - z->len);

		if (want > ELFOBJ_IMAGE_STEP)
			want = ELFOBJ_IMAGE_STEP;
		if (z->cap - z->len < want) {
			uint64_t cap = z->cap * 2 > z->len + want ? z->cap * 2 : z->len + want;

			z->cap = (size_t)(cap < z->bound ? cap : z->bound);
			z->buf = xrealloc(z->buf, z->cap);
		}
		r = decomp_read(z->d, z->buf + z->len, want);
		if (r < 0)
			return elfobj_image_decomp_error(z, r);
		if (r == DECOMP_END)
			break;
		z->len += (size_t)r;
		if (!elfobj_image_advance(z))
			return false;
	}
	if (z->len < SELFMAG || (z->stage == 0 && memcmp(z->buf, ELFMAG, SELFMAG) != 0))
		return elfobj_image_fail(z, "not an ELF file after %s decompression", decomp_name(z->kind));
	if (z->len < z->bound)
		return elfobj_image_fail(z, "truncated at byte %llu of %llu (after %s decompression)",
					 (unsigned long long)z->len, (unsigned long long)z->bound, decomp_name(z->kind));
	return elfobj_image_trailer(z);
}

char *elfobj_image(const char *path, size_t *size, char *why, size_t whylen)
{
	struct elfobj_inflate z = { .why = why, .whylen = whylen, .bound = 64 };
	unsigned char head[DECOMP_MAGIC_MAX];
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool done;

	if (fd < 0 || (got = read(fd, head, sizeof(head))) < 0) {
		elfobj_image_fail(&z, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	z.kind = decomp_detect(head, (size_t)got);
	if (decomp_cap_from_env(&z.limit) < 0)
		z.limit = DECOMP_DEFAULT_CAP;
	if (z.kind == DECOMP_NONE)
		done = elfobj_image_fail(&z, "not compressed");
	else if (!(z.d = decomp_new(z.kind, fd, head, (size_t)got, UINT64_MAX)))
		done = elfobj_image_fail(&z, "cannot start a %s decoder: out of memory", decomp_name(z.kind));
	else
		done = elfobj_image_run(&z);
	decomp_free(z.d);
	close(fd);
	if (!done) {
		free(z.buf);
		return NULL;
	}
	*size = z.len;
	return z.buf;
}
