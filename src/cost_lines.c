/* cost_lines.c - file:line of an instruction of an object, from its DWARF line table. */
#define _GNU_SOURCE
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cost.h"

struct cost_lines {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Elf *elf;              /* libdwfl's copy: its section addresses are the layout of an ET_REL */
	GElf_Addr bias;
	bool rel;
};

static const Dwfl_Callbacks cost_dwfl_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct cost_lines *cost_lines_open(const struct cost_obj *o)
{
	struct cost_lines *l;
	int fd;

	if (!o->has_dwarf || (fd = dup(o->fd)) < 0)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->rel = o->rel;
	l->dwfl = dwfl_begin(&cost_dwfl_cb);
	lseek(fd, 0, SEEK_SET);
	if (l->dwfl)
		l->mod = dwfl_report_offline(l->dwfl, "object", o->path, fd);   /* takes fd */
	else
		close(fd);
	if (!l->mod || dwfl_report_end(l->dwfl, NULL, NULL) != 0 ||
	    !(l->elf = dwfl_module_getelf(l->mod, &l->bias))) {
		cost_lines_close(l);
		return NULL;
	}
	return l;
}

void cost_lines_close(struct cost_lines *l)
{
	if (!l)
		return;
	if (l->dwfl)
		dwfl_end(l->dwfl);
	free(l);
}

/*
 * A path as a maintainer writes it: relative to the build directory, or to
 * the kernel tree (from its first top-level directory), no "../".
 */
static const char *cost_short_path(const char *file, const char *comp_dir)
{
	static const char *const tops[] = {
		"/arch/", "/block/", "/crypto/", "/drivers/", "/fs/", "/include/", "/init/", "/io_uring/",
		"/ipc/", "/kernel/", "/lib/", "/mm/", "/net/", "/security/", "/sound/", "/virt/", NULL,
	};
	size_t n = comp_dir ? strlen(comp_dir) : 0;
	const char *best = NULL;

	if (n && !strncmp(file, comp_dir, n) && file[n] == '/')
		return file + n + 1;
	for (int i = 0; file[0] == '/' && tops[i]; i++) {
		const char *p = strstr(file, tops[i]);

		if (p && (!best || p < best))
			best = p;
	}
	if (best)
		return best + 1;
	while (!strncmp(file, "./", 2) || !strncmp(file, "../", 3))
		file += file[1] == '/' ? 2 : 3;
	return file;
}

bool cost_lines_at(struct cost_lines *l, uint32_t shndx, uint64_t addr, char *buf, size_t n)
{
	Dwarf_Addr a;
	Dwfl_Line *line;
	const char *file;
	int lineno = 0;

	if (!l)
		return false;
	a = addr + l->bias;
	if (l->rel) {
		Elf_Scn *scn = elf_getscn(l->elf, shndx);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			return false;
		a = sh.sh_addr + addr + l->bias;
	}
	line = dwfl_module_getsrc(l->mod, a);
	if (!line || !(file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL)))
		return false;
	snprintf(buf, n, "%s:%d", cost_short_path(file, dwfl_line_comp_dir(line)), lineno);
	return true;
}
