/*
 * fuzz_image.c - a fuzz target for the bounded decompression of compressed
 * objects (elfobj.h: elfobj_image): the bytes, gzip-compressed through a
 * memfd, are decompressed as a .ko.gz would be.  What it hands back must be
 * a prefix of the bytes, an ELF, and no more than ELFOBJ_IMAGE_TRAILER_MAX
 * short of them; bytes that are no ELF must be refused.
 *
 * Seeds: the fixtures/elf builds, as for the sym target.  How to run it and
 * replay saved inputs: fuzz.h.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "elfobj.h"

/* data gzip-compressed (level 1) into fd: false if zlib fails */
static bool fuzz_image_gzip(int fd, const uint8_t *data, size_t size)
{
	z_stream z = { 0 };
	unsigned char out[65536];
	int rc;

	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)size;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = deflate(&z, Z_FINISH);
		if (write(fd, out, sizeof(out) - z.avail_out) != (ssize_t)(sizeof(out) - z.avail_out))
			rc = Z_ERRNO;
	} while (rc == Z_OK);
	deflateEnd(&z);
	return rc == Z_STREAM_END;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-image", 0);
	char path[64], why[256] = "";
	size_t got = 0;
	char *image;

	if (fd < 0 || size > (64U << 20))
		return 0;
	if (!fuzz_image_gzip(fd, data, size)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	image = elfobj_image(path, &got, why, sizeof(why));
	if (image) {
		/* a prefix of the input, an ELF, cut short by no more than what may trail it */
		if (got > size || memcmp(image, data, got) != 0 || got < SELFMAG || memcmp(image, ELFMAG, SELFMAG) != 0 ||
		    size - got > ELFOBJ_IMAGE_TRAILER_MAX)
			abort();
	} else if (!why[0]) {
		abort();   /* a refusal says why */
	} else if (size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) != 0 && !strstr(why, "not an ELF")) {
		abort();   /* bytes that are no ELF are refused as such */
	}
	free(image);
	close(fd);
	return 0;
}

static void fuzz_cleanup(void)
{
}

#include "fuzz.h"
