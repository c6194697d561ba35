/* render_ci.c - SARIF and JUnit XML documents of a scan (render_ci.h). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "render_ci.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

/* The rules are the verdict kinds, in this order (ruleIndex). */
static const struct ci_rule {
	enum verdict verdict;
	const char *name, *level, *summary, *help;
} ci_rules[] = {
	{ V_REAL_RACE, "RealRace", "error", "A data race between two CPUs",
	  "Fix the locking, or mark both accesses (READ_ONCE()/WRITE_ONCE(), data_race() for a benign race) "
	  "as tools/memory-model/Documentation/access-marking.txt describes." },
	{ V_UNKNOWN_ORIGIN, "UnknownOrigin", "warning", "A value changed, but KCSAN saw no other access",
	  "Find the writer: it is not instrumented (a device, firmware, or code built without KCSAN)." },
	{ V_DEVICE_ORIGIN, "DeviceOrigin", "note", "Memory a device writes, read by the CPU (a false positive)",
	  "A device writes this memory; marking the read documents that but fixes no race. "
	  "Label it, or filter it (kcsan-triage export --kcsan-filter)." },
};
#define CI_NRULES (sizeof(ci_rules) / sizeof(ci_rules[0]))

static size_t ci_rule_index(enum verdict v)
{
	for (size_t i = 0; i < CI_NRULES; i++)
		if (ci_rules[i].verdict == v)
			return i;
	return 1;   /* no verdict: unknown origin */
}

/* A path as a URI reference: unreserved bytes and '/' as they are, the rest percent-encoded. */
static char *ci_uri(const char *path)
{
	struct sbuf sb = SBUF_INIT;

	if (path[0] == '/')
		sbuf_adds(&sb, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p))
			sbuf_addc(&sb, (char)*p);
		else
			sbuf_addf(&sb, "%%%02X", *p);
	}
	return sbuf_detach(&sb);
}

/* The message: the verdict, the evidence, the marking, then the report. */
static char *ci_message(const struct ci_result *r)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s: %s (%zux", verdict_name(r->verdict), r->title, r->count);
	if (r->labelled)
		sbuf_addf(&sb, ", labelled; the tool says %s", verdict_name(r->tool_verdict));
	sbuf_addf(&sb, ", report %s%s)\n", r->sig_id, r->is_new ? ", new" : "");
	if (r->label_note && *r->label_note)
		sbuf_addf(&sb, "Label: %s\n", r->label_note);
	if (r->evidence && *r->evidence)
		sbuf_addf(&sb, "Evidence: %s\n", r->evidence);
	if (r->marking && *r->marking)
		sbuf_addf(&sb, "Suggested: %s\n", r->marking);
	sbuf_addf(&sb, "First found at %s:%llu\n", r->log, (unsigned long long)r->log_line);
	if (r->text && *r->text)
		sbuf_addf(&sb, "\n%s", r->text);
	return sbuf_detach(&sb);
}

static void ci_sarif_rules(struct out *o)
{
	out_begin_arr(o, "rules");
	for (size_t i = 0; i < CI_NRULES; i++) {
		out_begin_obj(o, NULL);
		out_str(o, "id", NULL, verdict_name(ci_rules[i].verdict));
		out_str(o, "name", NULL, ci_rules[i].name);
		out_begin_obj(o, "shortDescription");
		out_str(o, "text", NULL, ci_rules[i].summary);
		out_end_obj(o);
		out_begin_obj(o, "fullDescription");
		out_str(o, "text", NULL, ci_rules[i].help);
		out_end_obj(o);
		out_begin_obj(o, "help");
		out_str(o, "text", NULL, ci_rules[i].help);
		out_end_obj(o);
		out_begin_obj(o, "defaultConfiguration");
		out_str(o, "level", NULL, ci_rules[i].level);
		out_end_obj(o);
		out_end_obj(o);
	}
	out_end_arr(o);
}

/* The top frame's file:line when it is known, else the log line it was found at. */
static void ci_sarif_location(struct out *o, const struct ci_result *r)
{
	bool src = r->file && *r->file && r->line > 0;
	char *uri = ci_uri(src ? r->file : r->log);

	out_begin_arr(o, "locations");
	out_begin_obj(o, NULL);
	out_begin_obj(o, "physicalLocation");
	out_begin_obj(o, "artifactLocation");
	out_str(o, "uri", NULL, uri);
	if (src && r->file[0] != '/')
		out_str(o, "uriBaseId", NULL, "SRCROOT");
	out_end_obj(o);
	out_begin_obj(o, "region");
	out_int(o, "startLine", NULL, (long long)(src ? r->line : (r->log_line ? r->log_line : 1)));
	out_end_obj(o);
	out_end_obj(o);
	out_end_obj(o);
	out_end_arr(o);
	free(uri);
}

static void ci_sarif_result(struct out *o, const struct ci_result *r)
{
	size_t ri = ci_rule_index(r->verdict);
	char *msg = ci_message(r);

	out_begin_obj(o, NULL);
	out_str(o, "ruleId", NULL, verdict_name(ci_rules[ri].verdict));
	out_int(o, "ruleIndex", NULL, (long long)ri);
	out_str(o, "level", NULL, ci_rules[ri].level);
	out_begin_obj(o, "message");
	out_str(o, "text", NULL, msg);
	out_end_obj(o);
	ci_sarif_location(o, r);
	out_begin_obj(o, "partialFingerprints");
	out_str(o, "kcsanSignature/v1", NULL, r->sig_id);
	out_end_obj(o);
	out_str(o, "baselineState", NULL, r->is_new ? "new" : "unchanged");
	out_begin_obj(o, "properties");
	out_str(o, "signature", NULL, r->sig_id);
	out_str(o, "verdict", NULL, verdict_name(r->verdict));
	out_str(o, "tool_verdict", NULL, verdict_name(r->tool_verdict));
	out_int(o, "count", NULL, (long long)r->count);
	out_bool(o, "new", NULL, r->is_new);
	out_bool(o, "fails", NULL, r->fails);
	out_end_obj(o);
	out_end_obj(o);
	free(msg);
}

int ci_write_sarif(FILE *fp, const struct ci_result *const *rs, size_t n)
{
	struct out *o = out_new(fp, KT_FMT_JSON);

	out_begin_obj(o, NULL);
	out_str(o, "$schema", NULL, SARIF_SCHEMA);
	out_str(o, "version", NULL, "2.1.0");
	out_begin_arr(o, "runs");
	out_begin_obj(o, NULL);
	out_begin_obj(o, "tool");
	out_begin_obj(o, "driver");
	out_str(o, "name", NULL, KT_PROG);
	out_str(o, "version", NULL, KT_VERSION);
	ci_sarif_rules(o);
	out_end_obj(o);
	out_end_obj(o);
	out_begin_arr(o, "results");
	for (size_t i = 0; i < n; i++)
		ci_sarif_result(o, rs[i]);
	out_end_arr(o);
	out_end_obj(o);
	out_end_arr(o);
	out_end_obj(o);
	return out_close(o);
}

/* ---------------------------------------------------------------------- */
/* JUnit XML */

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0. */
static int ci_utf8_len(const unsigned char *p)
{
	int n = p[0] >= 0xc2 && p[0] <= 0xdf ? 1 : p[0] >= 0xe0 && p[0] <= 0xef ? 2 :
		p[0] >= 0xf0 && p[0] <= 0xf4 ? 3 : -1;

	if (n < 0)
		return 0;
	for (int i = 1; i <= n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) || (p[0] == 0xf0 && p[1] < 0x90) ||
	    (p[0] == 0xf4 && p[1] >= 0x90) || (p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe))
		return 0;
	return n + 1;
}

/* XML text or attribute value: escaped, bytes XML cannot hold replaced by U+FFFD. */
static void ci_xml_put(FILE *fp, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
		int n;

		switch (*p) {
		case '&': fputs("&amp;", fp); p++; continue;
		case '<': fputs("&lt;", fp); p++; continue;
		case '>': fputs("&gt;", fp); p++; continue;
		case '"': fputs("&quot;", fp); p++; continue;
		case '\n': case '\t': fputc(*p++, fp); continue;
		default: break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fputs("\xef\xbf\xbd", fp);
			p++;
		} else if (*p < 0x80) {
			fputc(*p++, fp);
		} else if ((n = ci_utf8_len(p)) > 0) {
			fwrite(p, 1, (size_t)n, fp);
			p += n;
		} else {
			fputs("\xef\xbf\xbd", fp);
			p++;
		}
	}
}

static void ci_junit_case(FILE *fp, const struct ci_result *r)
{
	char *msg = ci_message(r);

	fputs("    <testcase classname=\"kcsan.", fp);
	ci_xml_put(fp, verdict_name(r->verdict));
	fputs("\" name=\"", fp);
	ci_xml_put(fp, r->sig_id);
	fputs(" ", fp);
	ci_xml_put(fp, r->title);
	fprintf(fp, "\" file=\"");
	ci_xml_put(fp, r->file && *r->file ? r->file : r->log);
	fprintf(fp, "\" line=\"%llu\" time=\"0\">\n",
		(unsigned long long)(r->file && *r->file ? r->line : r->log_line));
	if (r->fails) {
		fputs("      <failure type=\"", fp);
		ci_xml_put(fp, verdict_name(r->verdict));
		fputs("\" message=\"", fp);
		ci_xml_put(fp, verdict_name(r->verdict));
		fputs(": ", fp);
		ci_xml_put(fp, r->title);
		fputs("\">", fp);
		ci_xml_put(fp, msg);
		fputs("</failure>\n", fp);
	} else {
		fputs("      <system-out>", fp);
		ci_xml_put(fp, msg);
		fputs("</system-out>\n", fp);
	}
	fputs("    </testcase>\n", fp);
	free(msg);
}

int ci_write_junit(FILE *fp, const struct ci_result *const *rs, size_t n)
{
	size_t failures = 0;

	for (size_t i = 0; i < n; i++)
		failures += rs[i]->fails;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
	fprintf(fp, "<testsuites name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"0\">\n", KT_PROG, n,
		failures);
	fprintf(fp, "  <testsuite name=\"KCSAN reports\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\""
		" time=\"0\">\n", n, failures);
	for (size_t i = 0; i < n; i++)
		ci_junit_case(fp, rs[i]);
	fputs("  </testsuite>\n</testsuites>\n", fp);
	return fflush(fp) != 0 || ferror(fp) ? -1 : 0;
}
