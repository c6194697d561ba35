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

# kernel_tree TARBALL: Debian's whole source tree in $CACHE/linux-source-6.1,
# unpacked once (again when the tarball is newer); 0, or 1 when it cannot be
kernel_tree() {
	local src=$CACHE/linux-source-6.1
	[ -f "$1" ] || return 1
	if [ ! -e "$src/.unpacked-whole" ] || [ "$1" -nt "$src/.unpacked-whole" ]; then
		echo "== unpacking $1 into $CACHE"
		mkdir -p "$CACHE"
		tar -xJf "$1" -C "$CACHE" && touch "$src/.unpacked-whole" || return 1
	fi
}
