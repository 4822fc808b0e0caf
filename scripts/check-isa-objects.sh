#!/bin/bash
# The objects compiled for AVX2 / AVX-512 (kernels/*_avx2.cpp, *_avx512.cpp) must define no weak
# (COMDAT) code: the linker keeps one copy of an inline function for the whole program, and if it
# kept the AVX-512 one, the portable path would run AVX-512 instructions on a CPU without them.
# Usage: check-isa-objects.sh OBJECT... (the kernels library's objects; others are ignored).
status=0
for o in "$@"; do
  case "$o" in *_avx2.cpp.o|*_avx512.cpp.o) ;; *) continue ;; esac
  weak=$(nm -C "$o" | awk '$2 == "W"')
  if [ -n "$weak" ]; then
    echo "$o defines shared inline code compiled for its ISA (make it static or keep it out of the file):"
    echo "$weak" | head -5
    status=1
  fi
done
exit $status
