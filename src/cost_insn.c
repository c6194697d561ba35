/* cost_insn.c - decode a function with Capstone: counts and a normalised stream. */
#define _GNU_SOURCE
#include "capstone_lazy.h"
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"

struct cost_dis {
	csh h;
	cs_insn *insn;
	bool x64;
};

struct cost_dis *cost_dis_new(unsigned machine, int elfclass)
{
	struct cost_dis *d;
	cs_mode mode;

	if (machine == EM_X86_64 && elfclass == ELFCLASS64)
		mode = CS_MODE_64;
	else if (machine == EM_386 || machine == EM_X86_64)
		mode = CS_MODE_32;
	else
		return NULL;
	d = xcalloc(1, sizeof(*d));
	if (cs_open(CS_ARCH_X86, mode, &d->h) != CS_ERR_OK) {
		free(d);
		return NULL;
	}
	cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(d->h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	d->insn = cs_malloc(d->h);
	d->x64 = mode == CS_MODE_64;
	return d;
}

void cost_dis_free(struct cost_dis *d)
{
	if (!d)
		return;
	cs_free(d->insn, 1);
	cs_close(&d->h);
	free(d);
}

void cost_norm_text(const char *mnemonic, const char *ops, char *out, size_t n)
{
	size_t k;

	if (strstr(mnemonic, "nop") || (!strcmp(mnemonic, "xchgw") && !strcmp(ops, "%ax, %ax")) ||
	    (!strcmp(mnemonic, "xchg") && !strcmp(ops, "%ax, %ax"))) {
		snprintf(out, n, "nop");
		return;
	}
	k = (size_t)snprintf(out, n, "%s", mnemonic);
	if (k >= n || !*ops)
		return;
	out[k++] = ' ';
	for (const char *p = ops; *p && k + 1 < n; p++) {
		if (*p == ' ' && p > ops && p[-1] == ',')
			continue;
		out[k++] = *p;
	}
	out[k] = 0;
}

static bool cost_pcrel(unsigned machine, uint32_t type)
{
	if (machine == EM_X86_64)
		return type == R_X86_64_PC32 || type == R_X86_64_PLT32 || type == R_X86_64_GOTPCREL ||
		       type == R_X86_64_PC64 || type == R_X86_64_PC16 || type == R_X86_64_PC8 ||
		       type == R_X86_64_GOTPCRELX || type == R_X86_64_REX_GOTPCRELX;
	return type == R_386_PC32 || type == R_386_PLT32;
}

/* Replace the number that ends at 'at' in buf (maybe none) with 'with'. */
static void cost_replace_before(char *buf, size_t n, size_t at, const char *with)
{
	size_t start = at;
	char tail[256];

	while (start > 0 && (strchr("0123456789abcdefx-", buf[start - 1])))
		start--;
	snprintf(tail, sizeof(tail), "%s", buf + at);
	snprintf(buf + start, n - start, "%s%s", with, tail);
}

/* Replace the first "$number" in buf with "$with". */
static bool cost_replace_imm(char *buf, size_t n, const char *with)
{
	char *d = strchr(buf, '$'), tail[256];
	size_t end;

	if (!d)
		return false;
	end = (size_t)(d - buf) + 1;
	while (buf[end] && strchr("0123456789abcdefx-", buf[end]))
		end++;
	snprintf(tail, sizeof(tail), "%s", buf + end);
	snprintf(d + 1, n - (size_t)(d + 1 - buf), "%s%s", with, tail);
	return true;
}

/* An address outside relocations: ".L" inside the function, else a symbol. */
static void cost_addr_name(const struct cost_obj *o, const struct cost_sym *fn, uint64_t a, char *buf, size_t n)
{
	const struct cost_sym *s;

	if (a >= fn->value && a < fn->value + fn->size) {
		snprintf(buf, n, ".L");
		return;
	}
	s = cost_sym_near(o, fn->shndx, a);
	if (s && a == s->value)
		snprintf(buf, n, "%s", s->name);
	else if (s)
		snprintf(buf, n, "%s+0x%llx", s->name, (unsigned long long)(a - s->value));
	else
		snprintf(buf, n, "0x%llx", (unsigned long long)a);
}

struct cost_ictx {
	csh h;
	const struct cost_obj *o;
	const struct cost_sym *fn;
	const struct cost_rel *rel;   /* the relocations of this instruction */
	size_t nrel;
};

static void cost_apply_rel(const struct cost_ictx *c, const cs_insn *in, const struct cost_rel *r, char *buf, size_t n)
{
	const cs_x86 *x = &in->detail->x86;
	uint64_t end = in->address + in->size;
	bool pc = cost_pcrel(c->o->machine, r->type);
	char t[192], *rip = strstr(buf, "(%rip)");

	cost_rel_target(c->o, r, pc ? (int64_t)(end - r->off) : 0, t, sizeof(t));
	if (x->encoding.disp_offset && r->off == in->address + x->encoding.disp_offset) {
		char *paren = rip ? rip : strchr(buf, '(');

		if (paren) {
			cost_replace_before(buf, n, (size_t)(paren - buf), t);
			return;
		}
	}
	if (x->encoding.imm_offset && r->off == in->address + x->encoding.imm_offset && cost_replace_imm(buf, n, t))
		return;
	size_t k = strlen(buf);

	snprintf(buf + k, n - k, " <%s>", t);
}

static void cost_insn_text(const struct cost_ictx *c, const cs_insn *in, char *buf, size_t n)
{
	const cs_x86 *x = &in->detail->x86;
	bool branch = cs_insn_group(c->h, in, CS_GRP_JUMP) || cs_insn_group(c->h, in, CS_GRP_CALL);
	uint64_t end = in->address + in->size;
	char t[192], *rip;

	cost_norm_text(in->mnemonic, in->op_str, buf, n);
	if (!strcmp(buf, "nop"))
		return;
	if (branch && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
		if (c->nrel)
			cost_rel_target(c->o, &c->rel[0], cost_pcrel(c->o->machine, c->rel[0].type) ?
					(int64_t)(end - c->rel[0].off) : 0, t, sizeof(t));
		else
			cost_addr_name(c->o, c->fn, (uint64_t)x->operands[0].imm, t, sizeof(t));
		/* a jump into another function (a .cold part and back) lands on a label */
		char *plus = strstr(t, "+0x");

		if (plus && !cs_insn_group(c->h, in, CS_GRP_CALL))
			snprintf(plus, sizeof(t) - (size_t)(plus - t), "+.L");
		snprintf(buf, n, "%s %s", in->mnemonic, t);
		return;
	}
	for (size_t i = 0; i < c->nrel; i++)
		cost_apply_rel(c, in, &c->rel[i], buf, n);
	if (!c->nrel && !c->o->rel && (rip = strstr(buf, "(%rip)")) && x->encoding.disp_offset) {
		cost_addr_name(c->o, c->fn, end + (uint64_t)x->disp, t, sizeof(t));
		cost_replace_before(buf, n, (size_t)(rip - buf), t);
	}
}

static bool cost_is_cond_branch(unsigned id)
{
	return (id >= X86_INS_JAE && id <= X86_INS_JS && id != X86_INS_JMP) ||
	       id == X86_INS_LOOP || id == X86_INS_LOOPE || id == X86_INS_LOOPNE;
}

static void cost_count(csh h, const cs_insn *in, struct cost_counts *n)
{
	const cs_x86 *x = &in->detail->x86;
	bool r = false, w = false, mem = false;

	n->insns++;
	if (cs_insn_group(h, in, CS_GRP_CALL))
		n->calls++;
	if (cost_is_cond_branch(in->id))
		n->branches++;
	if (in->id != X86_INS_LEA && !strstr(in->mnemonic, "nop") && !strstr(in->mnemonic, "prefetch")) {
		for (int i = 0; i < x->op_count; i++) {
			unsigned acc;

			if (x->operands[i].type != X86_OP_MEM)
				continue;
			mem = true;
			acc = x->operands[i].access ? x->operands[i].access : CS_AC_READ;
			r |= (acc & CS_AC_READ) != 0;
			w |= (acc & CS_AC_WRITE) != 0;
		}
	}
	if (r && w)
		n->rmw++;
	else if (r)
		n->loads++;
	else if (w)
		n->stores++;
	if (x->prefix[0] == X86_PREFIX_LOCK || in->id == X86_INS_MFENCE || in->id == X86_INS_LFENCE ||
	    in->id == X86_INS_SFENCE || (in->id == X86_INS_XCHG && mem))
		n->fences++;
}

static void cost_push(struct cost_code *out, size_t *cap, uint64_t addr, const char *text)
{
	ALLOC_GROW(out->insn, out->ninsn, *cap);
	out->insn[out->ninsn].addr = addr;
	out->insn[out->ninsn].text = xstrdup(text);
	out->ninsn++;
}

void cost_decode(struct cost_dis *d, const struct cost_obj *o, const struct cost_sym *s, struct cost_code *out)
{
	const unsigned char *code = cost_sym_bytes(o, s);
	const struct cost_sec *sec = &o->secs[s->shndx];
	uint64_t addr = s->value;
	size_t left = (size_t)s->size, cap = 0, ri = 0;
	struct cost_ictx c = { d ? d->h : 0, o, s, NULL, 0 };
	char buf[512];

	memset(out, 0, sizeof(*out));
	if (!d || !code)
		return;
	out->decoded = true;
	while (left > 0) {
		const uint8_t *p = code;
		size_t l = left;
		uint64_t a = addr;

		if (!cs_disasm_iter(d->h, &p, &l, &a, d->insn)) {
			out->n.insns++;
			cost_push(out, &cap, addr, "(bad)");
			code++, left--, addr++;
			continue;
		}
		while (ri < sec->nrel && sec->rel[ri].off < addr)
			ri++;
		c.rel = sec->rel ? sec->rel + ri : NULL;
		c.nrel = 0;
		while (ri + c.nrel < sec->nrel && sec->rel[ri + c.nrel].off < addr + d->insn->size)
			c.nrel++;
		cost_count(d->h, d->insn, &out->n);
		cost_insn_text(&c, d->insn, buf, sizeof(buf));
		cost_push(out, &cap, addr, buf);
		code = p, left = l, addr = a;
	}
}

void cost_code_release(struct cost_code *c)
{
	for (size_t i = 0; i < c->ninsn; i++)
		free(c->insn[i].text);
	free(c->insn);
	memset(c, 0, sizeof(*c));
}
