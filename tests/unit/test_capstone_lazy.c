/* test_capstone_lazy.c - the disassembler's library missing: cs_open() fails, and says why. */
#undef CAPSTONE_SONAME
#define CAPSTONE_SONAME "libkt-no-such-capstone.so.0"
#include "../../src/capstone_lazy.c"

#include "unit.h"

static void test_missing(void)
{
	csh h;

	CHECK_INT(kt_cs_open(CS_ARCH_X86, CS_MODE_64, &h), CS_ERR_HANDLE);
	CHECK(capstone_lazy_error() != NULL);
	CHECK(capstone_lazy_error() && strstr(capstone_lazy_error(), "libkt-no-such-capstone.so.0"));
}

UNIT_MAIN(TEST(test_missing))
