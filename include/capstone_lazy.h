/*
 * capstone_lazy.h - the disassembler (Capstone), loaded when first used.
 *
 * Linked in, libcapstone costs every run 3 MiB of memory (its tables are
 * relocated at start) and most runs never disassemble.  The calls of the
 * tool go through pointers that the first cs_open() fills from the shared
 * library (dlopen): include this header instead of <capstone/capstone.h>.
 */
#ifndef CAPSTONE_LAZY_H
#define CAPSTONE_LAZY_H

#include <capstone/capstone.h>

cs_err kt_cs_open(cs_arch arch, cs_mode mode, csh *handle);
cs_err kt_cs_close(csh *handle);
cs_err kt_cs_option(csh handle, cs_opt_type type, size_t value);
cs_insn *kt_cs_malloc(csh handle);
void kt_cs_free(cs_insn *insn, size_t count);
bool kt_cs_disasm_iter(csh handle, const uint8_t **code, size_t *size, uint64_t *address, cs_insn *insn);
bool kt_cs_insn_group(csh handle, const cs_insn *insn, unsigned int group_id);
cs_err kt_cs_regs_access(csh handle, const cs_insn *insn, cs_regs regs_read, uint8_t *regs_read_count,
			 cs_regs regs_write, uint8_t *regs_write_count);
/* Why the library could not be loaded (after a cs_open() that failed with CS_ERR_HANDLE), or NULL. */
const char *capstone_lazy_error(void);

#define cs_open kt_cs_open
#define cs_close kt_cs_close
#define cs_option kt_cs_option
#define cs_malloc kt_cs_malloc
#define cs_free kt_cs_free
#define cs_disasm_iter kt_cs_disasm_iter
#define cs_insn_group kt_cs_insn_group
#define cs_regs_access kt_cs_regs_access

#endif
