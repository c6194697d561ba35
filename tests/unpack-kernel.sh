# unpack-kernel.sh - sourced by the kernel tests: the kernel of ../shared
# decompressed once into build/kernel-cache (vmlinux, modules/*.ko), and
# again only when the compressed file is newer.
CACHE=build/kernel-cache

unpack() {   # unpack SRC.xz DST: when DST is missing or older
	if [ ! -s "$2" ] || [ "$1" -nt "$2" ]; then
		xz -dc "$1" >"$2.tmp" && mv "$2.tmp" "$2" || { rm -f "$2.tmp"; return 1; }
	fi
}

# kernel_cache K: 0, or 1 after saying what could not be decompressed
kernel_cache() {
	local m rc=0
	mkdir -p "$CACHE/modules"
	unpack "$1/vmlinux.xz" "$CACHE/vmlinux" || { echo "FAIL: cannot decompress $1/vmlinux.xz"; rc=1; }
	for m in "$1"/modules/*.ko.xz; do
		[ -e "$m" ] || continue
		unpack "$m" "$CACHE/modules/$(basename "$m" .xz)" || { echo "FAIL: cannot decompress $m"; rc=1; }
	done
	return $rc
}
