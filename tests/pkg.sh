#!/usr/bin/env bash
# The Debian package: cpack builds it from this build tree, it holds what
# it should (binary, mkcerts, man page, units, configurations as
# conffiles) with Depends from dpkg-shlibdeps, and once unpacked into a
# throwaway root, its simpletun --help and its simpletun-mkcerts work. As
# root it is also installed there with dpkg --root. The units pass
# systemd-analyze verify when systemd-analyze is there.
#
#   tests/pkg.sh BUILD_DIR
set -eEu -o pipefail

prog=pkg
fail() { printf '%s: FAIL - %s\n' "$prog" "$*" >&2; exit 1; }
pass() { printf '%s: ok - %s\n' "$prog" "$*"; }
skip() { printf '%s: SKIP - %s\n' "$prog" "$*"; exit 77; }
trap 'printf "%s: FAIL - line %s: %s\n" "$prog" "$LINENO" "$BASH_COMMAND" >&2' ERR

[[ $# -eq 1 && -f $1/CPackConfig.cmake ]] || fail "usage: $0 BUILD_DIR"
build=$(cd "$1" && pwd)
for c in cpack dpkg-deb dpkg-shlibdeps; do
	command -v "$c" >/dev/null || skip "no $c"
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/simpletun-pkg.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" \
    >"$tmp/cpack.log" 2>&1 || fail "cpack failed: $(cat "$tmp/cpack.log")"
debs=("$tmp"/out/simpletun_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "no single .deb in $tmp/out"
deb=${debs[0]}
pass "cpack -G DEB made $(basename "$deb")"

dpkg-deb -c "$deb" | awk '{ print $1, $2, $NF }' >"$tmp/contents"
has() {
	grep -q -E "^$1 root/root \\./$2\$" "$tmp/contents" ||
	    fail "the package has no $2 ($1 root/root): $(cat "$tmp/contents")"
}
has -rwxr-xr-x usr/sbin/simpletun
has -rwxr-xr-x usr/bin/simpletun-mkcerts
has -rw-r--r-- usr/share/man/man8/simpletun.8
has -rw-r--r-- 'usr/lib/systemd/system/simpletun-server@\.service'
has -rw-r--r-- 'usr/lib/systemd/system/simpletun-client@\.service'
# SIGHUP re-reads the configuration as the server's user (nobody): a
# root-only file would make every reload fail. Keys are files of their own.
has -rw-r--r-- etc/simpletun/server.conf
has -rw-r--r-- etc/simpletun/client.conf
! grep -q -E '\./(tmp|usr/local|home)/' "$tmp/contents" ||
    fail "the package holds files of the build machine's paths"
pass "its files, modes and owners"

dpkg-deb -e "$deb" "$tmp/ctl"
[[ $(sort "$tmp/ctl/conffiles") == $'/etc/simpletun/client.conf\n/etc/simpletun/server.conf' ]] ||
    fail "conffiles: $(cat "$tmp/ctl/conffiles")"
for f in Package Version Maintainer Depends Description; do
	[[ -n $(dpkg-deb -f "$deb" "$f") ]] || fail "no $f in the control file"
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in libc6 libssl3 libseccomp2 openssl; do
	[[ $depends == *"$d"* ]] || fail "Depends lacks $d: $depends"
done
pass "conffiles, and Depends: $depends"

root=$tmp/root
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
grep -q -x 'ExecStart=/usr/sbin/simpletun server --config /etc/simpletun/%i.conf' \
    "$root/usr/lib/systemd/system/simpletun-server@.service" ||
    fail "the server unit does not start /usr/sbin/simpletun with /etc/simpletun/%i.conf"
"$root/usr/sbin/simpletun" --help >"$tmp/help" 2>&1 ||
    fail "simpletun --help from the package: $(cat "$tmp/help")"
grep -q 'usage: simpletun server' "$tmp/help" ||
    fail "simpletun --help says: $(cat "$tmp/help")"
pass "simpletun --help from the unpacked package"
"$root/usr/bin/simpletun-mkcerts" "$tmp/pki" alice >"$tmp/mkcerts.log" 2>&1 ||
    fail "simpletun-mkcerts: $(cat "$tmp/mkcerts.log")"
for f in ca.crt server.crt server.key alice.crt alice.key; do
	[[ -s $tmp/pki/$f ]] || fail "simpletun-mkcerts made no $f"
	grep -q "/etc/simpletun/pki/$f" "$root/etc/simpletun/server.conf" \
	    "$root/etc/simpletun/client.conf" ||
	    fail "the example configurations do not name $f"
done
openssl verify -CAfile "$tmp/pki/ca.crt" "$tmp/pki/alice.crt" >/dev/null ||
    fail "alice.crt does not verify against ca.crt"
pass "simpletun-mkcerts from the package makes what the examples name"

if command -v systemd-analyze >/dev/null; then
	# verify wants an instance, and the binary where ExecStart= says.
	mkdir "$tmp/units"
	for r in server client; do
		sed "s|/usr/sbin/simpletun|$root/usr/sbin/simpletun|" \
		    "$root/usr/lib/systemd/system/simpletun-$r@.service" \
		    >"$tmp/units/simpletun-$r@demo.service"
		systemd-analyze verify --man=no \
		    "$tmp/units/simpletun-$r@demo.service" >"$tmp/verify" 2>&1 ||
		    fail "systemd-analyze verify simpletun-$r@: $(cat "$tmp/verify")"
		[[ ! -s $tmp/verify ]] ||
		    fail "systemd-analyze verify simpletun-$r@ warns: $(cat "$tmp/verify")"
	done
	pass "systemd-analyze verify: both units"
fi

if [[ $(id -u) -eq 0 ]]; then
	droot=$tmp/droot
	mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates"
	touch "$droot/var/lib/dpkg/status"
	dpkg --root="$droot" --force-depends --force-script-chrootless \
	    --log=/dev/null -i "$deb" >"$tmp/dpkg.log" 2>&1 ||
	    fail "dpkg --root -i: $(cat "$tmp/dpkg.log")"
	[[ $(dpkg --root="$droot" -s simpletun | sed -n 's/^Status: //p') == \
	    'install ok installed' ]] || fail "dpkg --root does not list it installed"
	"$droot/usr/sbin/simpletun" --help >/dev/null ||
	    fail "simpletun --help after dpkg --root -i"
	dpkg --root="$droot" --force-depends --force-script-chrootless \
	    --log=/dev/null --purge simpletun >>"$tmp/dpkg.log" 2>&1 ||
	    fail "dpkg --purge: $(cat "$tmp/dpkg.log")"
	[[ ! -e $droot/usr/sbin/simpletun && ! -e $droot/etc/simpletun/server.conf ]] ||
	    fail "dpkg --purge left files behind"
	pass "dpkg --root installs it, runs --help, purges it"
fi
pass "PASS"
