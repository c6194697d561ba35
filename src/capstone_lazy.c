/* capstone_lazy.c - the disassembler's functions, from the shared library at the first cs_open(). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include <capstone/capstone.h>

#include "capstone_lazy.h"

#ifndef CAPSTONE_SONAME
#define CAPSTONE_SONAME "libcapstone.so.4"
#endif

#undef cs_open
#undef cs_close
#undef cs_option
#undef cs_malloc
#undef cs_free
#undef cs_disasm_iter
#undef cs_insn_group
#undef cs_regs_access

static struct {
	cs_err (*open)(cs_arch, cs_mode, csh *);
	cs_err (*close)(csh *);
	cs_err (*option)(csh, cs_opt_type, size_t);
	cs_insn *(*malloc)(csh);
	void (*free)(cs_insn *, size_t);
	bool (*disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *);
	bool (*insn_group)(csh, const cs_insn *, unsigned int);
	cs_err (*regs_access)(csh, const cs_insn *, cs_regs, uint8_t *, cs_regs, uint8_t *);
} cs;
static const char *load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* one symbol into its pointer (dlsym gives an object pointer: copied, as POSIX allows) */
#define CS_SYM(lib, field, name) do { \
	void *f_ = dlsym(lib, name); \
	if (!f_) \
		goto fail; \
	memcpy(&cs.field, &f_, sizeof(f_)); \
} while (0)

static void cs_load(void)
{
	void *lib = dlopen(CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		load_error = dlerror();
		return;
	}
	CS_SYM(lib, open, "cs_open");
	CS_SYM(lib, close, "cs_close");
	CS_SYM(lib, option, "cs_option");
	CS_SYM(lib, malloc, "cs_malloc");
	CS_SYM(lib, free, "cs_free");
	CS_SYM(lib, disasm_iter, "cs_disasm_iter");
	CS_SYM(lib, insn_group, "cs_insn_group");
	CS_SYM(lib, regs_access, "cs_regs_access");
	return;
fail:
	load_error = dlerror();
	cs.open = NULL;
}

cs_err kt_cs_open(cs_arch arch, cs_mode mode, csh *handle)
{
	pthread_once(&once, cs_load);
	if (!cs.open)
		return CS_ERR_HANDLE;
	return cs.open(arch, mode, handle);
}

const char *capstone_lazy_error(void)
{
	pthread_once(&once, cs_load);
	return cs.open ? NULL : load_error ? load_error : "cannot load " CAPSTONE_SONAME;
}

/* (the others are called only with a handle that cs_open() made: the library is loaded) */
cs_err kt_cs_close(csh *handle)
{
	return cs.close(handle);
}

cs_err kt_cs_option(csh handle, cs_opt_type type, size_t value)
{
	return cs.option(handle, type, value);
}

cs_insn *kt_cs_malloc(csh handle)
{
	return cs.malloc(handle);
}

void kt_cs_free(cs_insn *insn, size_t count)
{
	cs.free(insn, count);
}

bool kt_cs_disasm_iter(csh handle, const uint8_t **code, size_t *size, uint64_t *address, cs_insn *insn)
{
	return cs.disasm_iter(handle, code, size, address, insn);
}

bool kt_cs_insn_group(csh handle, const cs_insn *insn, unsigned int group_id)
{
	return cs.insn_group(handle, insn, group_id);
}

cs_err kt_cs_regs_access(csh handle, const cs_insn *insn, cs_regs regs_read, uint8_t *regs_read_count,
			 cs_regs regs_write, uint8_t *regs_write_count)
{
	return cs.regs_access(handle, insn, regs_read, regs_read_count, regs_write, regs_write_count);
}
