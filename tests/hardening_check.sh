#!/usr/bin/env bash
# Check that an ELF binary was built with the hardening eia promises:
#   PIE, full RELRO (GNU_RELRO + BIND_NOW), stack protector, FORTIFY_SOURCE,
#   non-executable stack.
#
#   tests/hardening_check.sh BINARY
#
# Exit 0 when all hold, 1 naming each missing property, 2 on usage errors.
set -euo pipefail
export LC_ALL=C

if [ $# -ne 1 ]; then
	echo "usage: tests/hardening_check.sh BINARY" >&2
	exit 2
fi
bin=$1
if [ ! -f "$bin" ]; then
	echo "hardening: $bin: no such file" >&2
	exit 2
fi
if ! file -L "$bin" | grep -q 'ELF'; then
	echo "hardening: $bin: not an ELF file" >&2
	exit 2
fi

header=$(readelf -W -h "$bin")
segments=$(readelf -W -l "$bin")
dynamic=$(readelf -W -d "$bin")
# Undefined (imported) dynamic symbols, and all symbols (static ones when not stripped).
imports=$(readelf -W --dyn-syms "$bin" | awk '$7 == "UND" { print $8 }' | sed 's/@.*//' | sort -u)
allsyms=$(readelf -W -s "$bin" | awk 'NF >= 8 { print $8 }' | sed 's/@.*//' | sort -u)

failures=()
pass()
{
	printf '  ok    %s\n' "$1"
}
fail()
{
	printf '  FAIL  %s\n' "$1"
	failures+=("$1")
}

echo "hardening: $bin"

# PIE: ELF type DYN with an interpreter (a shared library is DYN too, but has no INTERP).
if grep -Eq 'Type:[[:space:]]+DYN' <<<"$header" && grep -q 'INTERP' <<<"$segments"; then
	pass "PIE (Type DYN)"
else
	fail "PIE (ELF type is not DYN: link with -pie)"
fi

# Full RELRO: a GNU_RELRO segment and immediate binding.
if grep -q 'GNU_RELRO' <<<"$segments"; then
	pass "RELRO segment (GNU_RELRO)"
else
	fail "RELRO (no GNU_RELRO segment: link with -Wl,-z,relro)"
fi
if grep -Eq '\(BIND_NOW\)|\(FLAGS\)[[:space:]].*BIND_NOW|\(FLAGS_1\)[[:space:]].*NOW' <<<"$dynamic"; then
	pass "full RELRO (BIND_NOW)"
else
	fail "full RELRO (no BIND_NOW / FLAGS_1 NOW: link with -Wl,-z,now)"
fi

# Non-executable stack: GNU_STACK present and its flags lack E.
stack=$(grep 'GNU_STACK' <<<"$segments" || true)
if [ -z "$stack" ]; then
	fail "non-executable stack (no GNU_STACK segment: link with -Wl,-z,noexecstack)"
elif awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^R?W?E$/ || $i == "RWE") exit 1 }' <<<"$stack"; then
	pass "non-executable stack (GNU_STACK RW)"
else
	fail "non-executable stack (GNU_STACK is executable: link with -Wl,-z,noexecstack)"
fi

# Stack protector: __stack_chk_fail is referenced. A binary where no function needs a
# canary legitimately lacks it; we accept that only when the DWARF producer strings say
# it was compiled with -fstack-protector*, or (without debug info) when it is tiny.
if grep -qx '__stack_chk_fail' <<<"$imports" || grep -qx '__stack_chk_fail' <<<"$allsyms"; then
	pass "stack protector (__stack_chk_fail)"
else
	producers=$(readelf -W --debug-dump=info "$bin" 2>/dev/null | grep 'DW_AT_producer' || true)
	text_size=$(size -A "$bin" 2>/dev/null | awk '$1 == ".text" { print $2 }')
	if [ -n "$producers" ]; then
		if grep -- '-fstack-protector' <<<"$producers" | grep -vq -- '-fno-stack-protector'; then
			pass "stack protector (compiled with -fstack-protector*, no function needed a canary)"
		else
			fail "stack protector (__stack_chk_fail not referenced: compile with -fstack-protector-strong)"
		fi
	elif [ -n "$text_size" ] && [ "$text_size" -lt 4096 ]; then
		pass "stack protector (not needed: .text is $text_size bytes)"
	else
		fail "stack protector (__stack_chk_fail not referenced: compile with -fstack-protector-strong)"
	fi
fi

# FORTIFY_SOURCE: at least one __*_chk function imported from libc (other than the
# stack protector's own __stack_chk_fail).
fortified=$(grep -E '^__.*_chk$' <<<"$imports" | grep -vx '__stack_chk_fail' || true)
if [ -n "$fortified" ]; then
	pass "FORTIFY_SOURCE ($(echo "$fortified" | head -3 | tr '\n' ' ' | sed 's/ $//')$([ "$(echo "$fortified" | wc -l)" -gt 3 ] && echo ' ...'))"
else
	fail "FORTIFY_SOURCE (no __*_chk function imported: compile with -O1 or higher and -D_FORTIFY_SOURCE=2)"
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "hardening: $bin: missing: $(printf '%s; ' "${failures[@]}" | sed 's/; $//')" >&2
	exit 1
fi
echo "hardening: $bin: all checks passed"
