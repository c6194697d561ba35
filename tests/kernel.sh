#!/usr/bin/env bash
# The symbolizer against its oracle, binutils addr2line, on a real KCSAN
# kernel ($SHARED/kernel: vmlinux.xz, modules/*.ko.xz, console-*.log).
#
# For every distinct stack frame of the console logs, and for a fixed
# random sample of frames from every function of the vmlinux and modules,
# the inline chain that "kcsan-triage symbolize" prints (with each back
# end) must equal what
#     addr2line -f -i -e vmlinux ADDR-1          (-j SECTION for a .ko)
# prints: as many levels, the same file and line at each, the same function
# up to compiler suffixes (.isra.N, .constprop.N, .part.N, .cold) or
# aliases (two names at one address).  The address is worked out here,
# independently of the tool, the way scripts/faddr2line does it: readelf's
# symbol table, kallsyms' idea of a symbol's size (the distance to the next
# symbol of its section), the printed size choosing between symbols of the
# same name.  Where addr2line is wrong, the case is named below with its
# reason, and checked against a second opinion (elfutils' eu-addr2line).
#
# Skips (exit 0, with a message) when $SHARED/kernel is absent; fails then under CI=true.  The
# decompressed vmlinux and modules are cached under build/kernel-cache/.
#
#   SAMPLE=N   random frames from the vmlinux (default 2000; 0: logs only)
set -u
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
K=$SHARED/kernel
BIN=${BIN:-$PWD/kcsan-triage}
SAMPLE=${SAMPLE:-2000}

# skip WHY: exit 0 with a note, except under CI (CI=true), where every suite must run
skip() {
	[ "${CI:-}" = true ] && { echo "FAIL: kernel: $1 (CI=true: every suite must run)"; exit 1; }
	echo "== kernel: skipped ($1)"
	exit 0
}
if [ ! -f "$K/vmlinux.xz" ] || ! ls "$K"/console-*.log >/dev/null 2>&1; then
	skip "$K not present"
fi
for tool in addr2line readelf xz; do
	command -v $tool >/dev/null || skip "$tool not installed"
done
SECOND=$(command -v eu-addr2line || true)

export LC_ALL=C TZ=UTC
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-kernel.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
[ -n "${KEEP:-}" ] && { trap - EXIT; echo "== kernel: keeping $TMP"; }
fail=0
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# ---------------------------------------------------------------------------
# the kernel, decompressed once

. tests/unpack-kernel.sh
kernel_cache "$K" || { fail=$((fail + 1)); [ -s "$CACHE/vmlinux" ] || exit 1; }
VMLINUX=$CACHE/vmlinux

# module name (as the kernel prints it) -> decompressed .ko
ko_of() {
	ls "$CACHE/modules/$1.ko" "$CACHE/modules/$(echo "$1" | tr _ -).ko" 2>/dev/null | head -1
}

# ---------------------------------------------------------------------------
# symbols, as kallsyms sees them

awk_hex='function hex(s,   i, v) { s = tolower(s); sub(/^0x/, "", s); v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
function base(f) { if (f !~ /^\./) sub(/\..*/, "", f); return f }'

# symbols OBJ: "ndx value st_size name kallsyms_size last type section" for
# every named symbol of an executable section, sorted by section and address.
symbols() {
	readelf -SW "$1" | awk '
		{ sub(/^ *\[ */, ""); sub(/\]/, "") }
		$1 ~ /^[0-9]+$/ && NF >= 11 && $8 ~ /X/ { print $1, $2, $6, $4 }' >"$TMP/secs"
	readelf -sW "$1" | awk -v secs="$TMP/secs" '
		BEGIN { while ((getline l < secs) > 0) { split(l, f, " "); sn[f[1]] = f[2]; ss[f[1]] = f[3]; sa[f[1]] = f[4] } }
		$1 ~ /^[0-9]+:$/ && ($7 in sn) && NF >= 8 && $4 != "SECTION" && $4 != "FILE" &&
		$8 !~ /^\$/ && $8 !~ /^\.L/ {
			print $7, $2, $3, $8, ss[$7], sprintf("%016s", sa[$7]), sn[$7], $4
		}' | sort -k1,1n -k2,2 | awk "$awk_hex"'
		# values are 16 hex digits: subtract in two halves (exact in doubles)
		function diff(a, b) { gsub(/ /, "0", b); return (hex(substr(a, 1, 8)) - hex(substr(b, 1, 8))) * 4294967296 + hex(substr(a, 9)) - hex(substr(b, 9)) }
		function flush(   i, j, nv, ks) {
			for (i = 0; i < n; i++) {
				nv = ""
				for (j = i + 1; j < n; j++) if (val[j] != val[i]) { nv = val[j]; break }
				ks = nv == "" ? hex(secsize) - diff(val[i], secaddr) : diff(nv, val[i])
				print ndx[i], val[i], sz[i], nm[i], ks, (nv == "" ? 1 : 0), ty[i], secname
			}
			n = 0
		}
		$1 != cur { flush(); cur = $1; secsize = $5; secaddr = $6; secname = $7 }
		{ ndx[n] = $1; val[n] = $2; sz[n] = $3; nm[n] = $4; ty[n] = $8; n++ }
		END { flush() }'
}

# sample SYMS N SEED [MODULE]: random frames "func+0xOFF/0xSIZE [module]" inside
# C functions (FUNC, offset below the ELF size: no padding) whose name and
# size pick one symbol, as a log would print them
sample() {
	awk -v n="$2" -v seed="$3" -v mod="${4:-}" '
		{ c[$4 " " $5]++ }
		$7 == "FUNC" && $3 > 1 { L[++m] = $0 }
		END {
			srand(seed)
			for (i = 0; i < n * 4 && got < n && m; i++) {
				split(L[int(rand() * m) + 1], f, " ")
				if (c[f[4] " " f[5]] > 1) continue
				lim = f[3] < f[5] ? f[3] : f[5]
				if (lim < 2) continue
				k = sprintf("%s+0x%x/0x%x", f[4], 1 + int(rand() * (lim - 1)), f[5])
				if (k in seen) continue
				seen[k] = 1; got++
				print "[    0.000000]  " k (mod != "" ? " [" mod "]" : "")
			}
		}' "$1"
}

# ---------------------------------------------------------------------------
# the frames: every stack line of the logs, and the sample

# syms_of OBJ: the file of its symbols, made once
syms_of() {
	local f=$TMP/syms.$(basename "$1")
	[ -s "$f" ] || symbols "$1" >"$f"
	echo "$f"
}

LOGS=("$K"/console-*.log)
if [ "$SAMPLE" -gt 0 ]; then
	sample "$(syms_of "$VMLINUX")" "$SAMPLE" 1 >"$TMP/sample.log"
	for m in "$CACHE"/modules/*.ko; do
		mod=$(basename "$m" .ko | tr - _)
		sample "$(syms_of "$m")" $((SAMPLE / 10)) 2 "$mod" >>"$TMP/sample.log"
	done
	LOGS+=("$TMP/sample.log")
fi

# The text of a stack line: printk time, CR, blanks, "? " and "+-> reordered to: " stripped.
stack_text='{
	sub(/\r$/, "")
	sub(/^\[ *[0-9]+\.[0-9]+\] */, "")
	sub(/^\? /, "")
	sub(/^\+-> reordered to: /, "")
	sub(/^ +/, "")
	sub(/ +$/, "")
}'
# a whole stack line that is a frame: "func+0xOFF/0xSIZE" or "func+0xOFF/0xSIZE [module]"
frame_re='/^[A-Za-z_.$][A-Za-z0-9_.$]*\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[A-Za-z0-9_-]+\])?$/'
awk "$stack_text$frame_re"'{ print }' "${LOGS[@]}" | sort -u >"$TMP/frames"
nframes=$(wc -l <"$TMP/frames")
nlog=$(awk "$stack_text$frame_re"'{ print }' "$K"/console-*.log | sort -u | wc -l)
[ "$nlog" -gt 0 ] || bad "no stack frames found in $K/console-*.log"

# ---------------------------------------------------------------------------
# the oracle

# oracle OBJ REL FRAMES: appends "frame|chain" to $TMP/oracle, chain =
# "func@file:line;..." innermost first, and "frame|obj|section|address" to
# $TMP/where (the frames without their " [module]").
oracle() {
	local obj=$1 rel=$2 frames=$3 mod=${4:-} syms
	syms=$(syms_of "$obj")
	# the symbol: by name, then by the size kallsyms printed; with its aliases
	# (other names at its address: __tsan_unaligned_write4 is an __alias()
	# of __tsan_write4, which the DWARF calls the function)
	awk -v syms="$syms" "$awk_hex"'
		BEGIN { while ((getline l < syms) > 0) { split(l, f, " "); k = f[4]; c[k]++; S[k, c[k]] = l
			at[f[1], f[2]] = at[f[1], f[2]] "," base(f[4]) } }
		{
			key = $0; name = key; sub(/\+.*/, "", name)
			off = key; sub(/^[^+]*\+/, "", off); sub(/\/.*/, "", off); size = key; sub(/^.*\//, "", size)
			# kallsyms size, else the ELF size, else the last of a section
			# (whose printed size runs to whatever the kernel put next)
			pick = ""
			for (pass = 1; pass <= 3 && pick == ""; pass++)
				for (i = 1; i <= c[name] && pick == ""; i++) {
					split(S[name, i], f, " ")
					if ((pass == 1 && f[5] == hex(size)) || (pass == 2 && f[3] == hex(size)) ||
					    (pass == 3 && f[6] == 1 && hex(size) >= f[5]))
						pick = S[name, i]
				}
			if (pick == "") { print key "|NOSYMBOL"; next }
			split(pick, f, " ")
			print key "|" f[2] "|" off "|" f[8] "|" at[f[1], f[2]] ","
		}' "$frames" >"$TMP/picked"
	grep '|NOSYMBOL$' "$TMP/picked" | while IFS='|' read -r key _; do bad "oracle: no symbol for $key in $obj"; done
	grep -v '|NOSYMBOL$' "$TMP/picked" | while IFS='|' read -r key val off sec aliases; do
		# a .ko: the value is the offset in its section, which addr2line -j takes
		[ "$rel" = 1 ] || sec=-
		printf '%s|%s|0x%x|%s\n' "$key" "$sec" $((0x$val + off - (off > 0 ? 1 : 0))) "$aliases"
	done >"$TMP/addrs"
	for sec in $(cut -d'|' -f2 "$TMP/addrs" | sort -u); do
		grep -F "|$sec|" "$TMP/addrs" >"$TMP/addrs.sec"
		if [ "$sec" = - ]; then
			cut -d'|' -f3 "$TMP/addrs.sec" | addr2line -a -f -i -e "$obj" >"$TMP/a2l"
		else
			cut -d'|' -f3 "$TMP/addrs.sec" | addr2line -a -f -i -j "$sec" -e "$obj" >"$TMP/a2l"
		fi
		awk -F'|' -v obj="$obj" -v mod="$mod" '{ print $1 mod "|" obj "|" $2 "|" $3 }' "$TMP/addrs.sec" >>"$TMP/where"
		awk -v keys="$TMP/addrs.sec" -v mod="$mod" "$awk_hex"'
			# the outermost level: an alias of the symbol of the frame is that symbol
			function done(   name) {
				if (!k)
					return
				name = key[k]; sub(/\+.*/, "", name)
				if (index(alias[k], "," lastfn ","))
					lastfn = base(name)
				print key[k] mod "|" chain (chain == "" ? "" : ";") lastfn "@" lastloc
			}
			BEGIN { while ((getline l < keys) > 0) { split(l, f, "|"); n++; key[n] = f[1]; alias[n] = f[4] } }
			/^0x[0-9a-f]+$/ { done(); k++; chain = ""; lastfn = ""; state = 0; next }
			state == 0 { fn = $0; state = 1; next }
			state == 1 { loc = $0; sub(/ \(discriminator [0-9]+\)$/, "", loc)
				     if (lastfn != "") chain = chain (chain == "" ? "" : ";") lastfn "@" lastloc
				     lastfn = base(fn); lastloc = loc; state = 0 }
			END { done() }' "$TMP/a2l" >>"$TMP/oracle"
	done
}

# the tool output, back to "frame|chain" records
tool_chains() {   # tool_chains OUTPUT
	awk "$stack_text$awk_hex"'
		/ \[inline\]$/ && NF == 3 { pend = pend (pend == "" ? "" : ";") base($1) "@" $2; next }
		{
			fr = $1; mod = ""; loc = $2
			if (NF == 3 && $2 ~ /^\[.*\]$/) { mod = " " $2; loc = $3 }
			if ((NF == 2 || mod != "") && fr ~ /\+0x[0-9a-f]+\/0x[0-9a-f]+$/ && loc ~ /:[0-9]+$/) {
				name = fr; sub(/\+.*/, "", name)
				print fr mod "|" pend (pend == "" ? "" : ";") base(name) "@" loc
			}
			pend = ""
		}' "$1" | sort -t'|' -k1,1 -u
}

echo "== kernel: $nframes distinct frames ($nlog from $(ls "$K"/console-*.log | wc -l) logs, the rest sampled); oracle: $(addr2line --version | head -1)"
: >"$TMP/oracle"
: >"$TMP/where"
grep -v ' \[' "$TMP/frames" >"$TMP/frames.obj"
oracle "$VMLINUX" 0 "$TMP/frames.obj"
for mod in $(sed -n 's/.* \[\(.*\)\]$/\1/p' "$TMP/frames" | sort -u); do
	ko=$(ko_of "$mod")
	if [ -z "$ko" ]; then
		bad "no $mod.ko in $K/modules"
		continue
	fi
	grep -F " [$mod]" "$TMP/frames" | sed 's/ \[.*\]$//' >"$TMP/frames.obj"
	oracle "$ko" 1 "$TMP/frames.obj" " [$mod]"
done
sort -t'|' -k1,1 -u -o "$TMP/oracle" "$TMP/oracle"
sort -t'|' -k1,1 -u -o "$TMP/where" "$TMP/where"
# frames without any line (the oracle prints ??): the tool leaves them as they are
awk -F'|' '($2 ~ /@\?\?:/ || $2 ~ /:\?$/) && $2 !~ /;/' "$TMP/oracle" >"$TMP/noline"

# ---------------------------------------------------------------------------
# Where addr2line is wrong.  known CHAIN_A2L CHAIN_TOOL FRAME: prints the
# reason and returns 0 when the difference is one of these, checked against
# eu-addr2line where that can tell:
#
#  - "DWARF 5 file 1": binutils 2.40 names a row of line-table file 1 as the
#    CU's primary source (file 0).  gcc 12 usually makes file 1 a copy of
#    file 0, but not when a header comes first (a trace header under
#    CREATE_TRACE_POINTS: __traceiter_kfree is include/trace/events/kmem.h:94,
#    addr2line says mm/slab_common.c:94).  Same line, other file; libdw,
#    eu-addr2line and llvm-symbolizer name the header.
#  - "assembly label": in a .S file without a DWARF subprogram, addr2line
#    takes the function name from the symbol table through a cache that
#    depends on the previous address (entry_SYSCALL_64_after_hwframe+0x4b
#    alone, entry_SYSCALL_64 in a batch).  The kernel printed the label
#    kallsyms chose; file and line must still agree.
known() {
	local want=$1 got=$2 key=$3 second w g
	# assembly: one level, same file:line in a .S file, another label
	if [[ $want != *";"* && $got != *";"* && ${want#*@} = "${got#*@}" && ${want#*@} = *.S:* ]]; then
		echo "assembly label"
		return 0
	fi
	[ -n "$SECOND" ] || return 1
	IFS='|' read -r _ obj sec addr < <(grep -F -m1 "$key|" "$TMP/where")
	[ -n "${addr:-}" ] || return 1
	if [ "$sec" = - ]; then
		second=$("$SECOND" -f -i -e "$obj" "$addr")
	else
		second=$("$SECOND" -f -i -j "$sec" -e "$obj" "$addr")
	fi
	second=$(printf '%s\n' "$second" | awk "$awk_hex"'
		NR % 2 == 1 { fn = base($0); next }
		{ if ($0 ~ /:[0-9]+:[0-9]+$/) sub(/:[0-9]+$/, ""); c = c (c == "" ? "" : ";") fn "@" $0 }
		END { print c }')
	# level by level: the same but for files, where eu-addr2line sides with the tool
	awk -v w="$want" -v g="$got" -v s="$second" 'BEGIN {
		nw = split(w, W, ";"); ng = split(g, G, ";"); ns = split(s, S, ";")
		if (nw != ng || ns != ng) exit 1
		for (i = 1; i <= nw; i++) {
			if (W[i] == G[i]) continue
			split(W[i], a, "@"); split(G[i], b, "@"); split(S[i], c, "@")
			lw = a[2]; sub(/.*:/, "", lw); lg = b[2]; sub(/.*:/, "", lg)
			fw = a[2]; sub(/:[0-9]+$/, "", fw); fg = b[2]; sub(/:[0-9]+$/, "", fg)
			# same line, another file; eu-addr2line has the level of the tool (at
			# the outermost only its place: the tool names the ELF symbol)
			if (lw != lg || fw == fg || (i < nw && a[1] != b[1]))
				exit 1
			if (i < nw ? S[i] != G[i] : c[2] != b[2])
				exit 1
			diff++
		}
		exit diff ? 0 : 1 }' || return 1
	echo "DWARF 5 file 1 (eu-addr2line agrees with the tool)"
	return 0
}

# ---------------------------------------------------------------------------

for backend in libdw addr2line; do
	# the modules as shipped (.ko.xz): libdw decompresses them itself
	"$BIN" symbolize --full-paths --symbolizer $backend --vmlinux "$VMLINUX" --modules "$K/modules" \
		"${LOGS[@]}" >"$TMP/out.$backend" 2>"$TMP/err.$backend"
	rc=$?
	[ $rc = 0 ] || bad "$backend: exit $rc: $(head -c 400 "$TMP/err.$backend")"
	if [ -s "$TMP/err.$backend" ]; then
		bad "$backend: unexpected diagnostics: $(head -c 400 "$TMP/err.$backend")"
	fi
	tool_chains "$TMP/out.$backend" >"$TMP/tool.$backend"
	# every frame was symbolized, but those without any line
	missing=$(cut -d'|' -f1 "$TMP/tool.$backend" | comm -13 - "$TMP/frames" |
		  comm -23 - <(cut -d'|' -f1 "$TMP/noline") | head -5)
	[ -z "$missing" ] || bad "$backend: frames left unsymbolized: $missing"
	join -t'|' "$TMP/oracle" "$TMP/tool.$backend" >"$TMP/joined"
	compared=$(wc -l <"$TMP/joined")
	same=$(awk -F'|' '$2 == $3' "$TMP/joined" | wc -l)
	nknown=0
	: >"$TMP/known.$backend"
	while IFS='|' read -r key want got; do
		if reason=$(known "$want" "$got" "$key"); then
			nknown=$((nknown + 1))
			echo "$key" >>"$TMP/known.$backend"
			[ "$backend" = libdw ] && echo "   known addr2line error ($reason): $key"
		else
			bad "$backend: $key"
			echo "    addr2line: $want"
			echo "    tool:      $got"
		fi
	done < <(awk -F'|' '$2 != $3' "$TMP/joined")
	echo "== kernel: $backend: $compared frames compared with addr2line: $same equal, $nknown known addr2line errors"
	[ "$compared" -ge $((nframes - $(wc -l <"$TMP/noline"))) ] || bad "$backend: compared $compared of $nframes frames"
done

# the two back ends print the same, byte for byte, but where the addr2line
# back end inherits the errors of addr2line named above
touch "$TMP/known.libdw"
if ! cmp -s <(grep -vF -f "$TMP/known.libdw" "$TMP/out.libdw") <(grep -vF -f "$TMP/known.libdw" "$TMP/out.addr2line"); then
	bad "libdw and addr2line outputs differ: $(diff <(grep -vF -f "$TMP/known.libdw" "$TMP/out.libdw") \
		<(grep -vF -f "$TMP/known.libdw" "$TMP/out.addr2line") | head -5)"
fi

# a frame line met again is written as it was the first time: after the
# log itself, the log with CRLF ends, and each frame line once more after a
# new one (the repeat then waits in a batch); as each part alone
L=$K/console-4.log
sed 's/$/\r/' "$L" >"$TMP/crlf.log"
awk '/\+0x/ { x = $0; sub(/\[ *[0-9.]+\]/, "[    1.000000]", x); print x } { print }' "$L" >"$TMP/twice.log"
: >"$TMP/parts"
for f in "$L" "$TMP/crlf.log" "$TMP/twice.log"; do
	"$BIN" symbolize --vmlinux "$VMLINUX" --modules "$K/modules" "$f" >>"$TMP/parts" 2>/dev/null
done
cat "$L" "$TMP/crlf.log" "$TMP/twice.log" "$L" |
	"$BIN" symbolize --vmlinux "$VMLINUX" --modules "$K/modules" - >"$TMP/all" 2>/dev/null
"$BIN" symbolize --vmlinux "$VMLINUX" --modules "$K/modules" "$L" >>"$TMP/parts" 2>/dev/null
cmp -s "$TMP/parts" "$TMP/all" || bad "repeated frame lines: $(diff "$TMP/parts" "$TMP/all" | head -5)"
grep -q ' \[inline\]'$'\r''$' "$TMP/all" || bad "repeated frame lines: no CRLF inline line"

# a vmlinux that does not match: an exit status, a note, the frame left alone
sed 's/virtqueue_get_buf_ctx_split+0x5e\/0x200/virtqueue_get_buf_ctx_split+0x5e\/0x180/' \
	"$K/console-4.log" >"$TMP/wrong.log"
"$BIN" symbolize --vmlinux "$VMLINUX" --modules "$K/modules" "$TMP/wrong.log" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc = 5 ] || bad "size mismatch: exit $rc, expected 5"
grep -q "does not match: virtqueue_get_buf_ctx_split is 0x200 bytes there, the log says 0x180" "$TMP/err" ||
	bad "size mismatch: no note: $(head -c 300 "$TMP/err")"
grep -q '^\[ *[0-9.]*\]  virtqueue_get_buf_ctx_split+0x5e/0x180.$' "$TMP/out" ||
	bad "size mismatch: the frame line was not left as it was"

# scan says which modules' frames it could not symbolize: once per module
# (no modules directory, a module not under it, a module it cannot read)
"$BIN" scan --no-db --vmlinux "$VMLINUX" "$K/console-1.log" >/dev/null 2>"$TMP/err"
for m in kcsan_test torture virtio_console; do
	n=$(grep -c "warning: .*module $m: no modules directory (--modules DIR): its frames are not symbolized" "$TMP/err")
	[ "$n" = 1 ] || bad "scan without --modules: $n warnings about $m: $(head -c 300 "$TMP/err")"
done
[ "$(wc -l <"$TMP/err")" = 3 ] || bad "scan without --modules: not 3 lines: $(head -c 500 "$TMP/err")"
mkdir "$TMP/mods"
cp "$K"/modules/virtio_console.ko.xz "$TMP/mods/"
head -c 4096 /dev/zero >"$TMP/mods/torture.ko"
"$BIN" scan --no-db --vmlinux "$VMLINUX" --modules "$TMP/mods" "$K/console-1.log" >/dev/null 2>"$TMP/err"
grep -q "warning: .*module kcsan_test: no kcsan_test.ko under $TMP/mods: its frames are not symbolized" "$TMP/err" ||
	bad "scan --modules: no warning about the missing kcsan_test: $(head -c 300 "$TMP/err")"
grep -q "warning: .*$TMP/mods/torture.ko: not an ELF file .*: its frames are not symbolized" "$TMP/err" ||
	bad "scan --modules: no warning about the unusable torture.ko: $(head -c 300 "$TMP/err")"
[ "$(wc -l <"$TMP/err")" = 2 ] || bad "scan --modules: not 2 lines: $(head -c 500 "$TMP/err")"

# the release string, against the log's
rel=$(printf 'Linux version 9.9.9 (x)\n' | "$BIN" symbolize --vmlinux "$VMLINUX" - 2>&1 >/dev/null)
case $rel in
*"the log is from kernel 9.9.9, the vmlinux is 6.1.192"*) ;;
*) bad "release mismatch not reported: $rel" ;;
esac

# the DIE reader of the symbolizer against libdw's walk, over the whole
# vmlinux and every module: every function's ranges and inline tree, and
# the chain at both ends of every inline range (tests/unit/test_sym.c)
UNIT_SYM=${UNIT_SYM:-$(ls -t build/*/tests/test_sym 2>/dev/null | head -1)}
if [ -x "$UNIT_SYM" ]; then
	objs=$VMLINUX
	for ko in "$CACHE"/modules/*.ko; do objs=$objs:$ko; done
	if KT_CROSSCHECK_VMLINUX=$objs KT_CROSSCHECK_VERBOSE=1 "$UNIT_SYM" >"$TMP/cross" 2>&1; then
		echo "== kernel: DIE reader = libdw: $(grep -c "^$CACHE/.*units (" "$TMP/cross") objects," \
			"$(grep "^$VMLINUX:" "$TMP/cross" | sed 's/^[^:]*: //')"
	else
		bad "DIE reader against libdw: $(grep -v '^/tmp/kt-sym' "$TMP/cross" | head -c 500)"
	fi
else
	echo "== kernel: no unit test binary (make unit-test): the DIE reader is not checked against libdw here"
fi

# the variable behind the address: vmlinux static data, module data named from the module's code, slides
python3 tests/kernel_variables.py "$BIN" "$VMLINUX" "$K/modules" "$CACHE/modules" "$K" || fail=$((fail + 1))

if [ $fail -ne 0 ]; then
	echo "== kernel: $fail failure(s)"
	exit 1
fi
echo "== kernel: passed"
