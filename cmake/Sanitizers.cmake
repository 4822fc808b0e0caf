# Sanitizer and fuzzing builds (each in its own build folder, CUDA off; scripts/test.sh and
# scripts/fuzz.sh make them).
#   BITBLOCK_SANITIZE=address,undefined  every target, tests included, built with these sanitizers;
#                                        any finding aborts (-fno-sanitize-recover), so UB fails a test.
#   BITBLOCK_FUZZ=ON                     clang only: the libFuzzer targets in fuzz/, everything
#                                        instrumented for coverage, ASan and UBSan. It defines
#                                        FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, so CRC checks
#                                        pass any input (the parsers behind them get fuzzed) and the
#                                        reader boundary lets library exceptions through (they are
#                                        findings): never ship or test such a build.
set(BITBLOCK_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined")
option(BITBLOCK_FUZZ "Build the libFuzzer targets in fuzz/ (clang)" OFF)

if(BITBLOCK_SANITIZE)
  add_compile_options(-fsanitize=${BITBLOCK_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${BITBLOCK_SANITIZE})
  message(STATUS "bitblock: sanitizers ${BITBLOCK_SANITIZE}")
  # Tests that run a child under a memory rlimit skip under ASan: its shadow memory is reserved
  # as terabytes of address space, which RLIMIT_AS / RLIMIT_DATA refuse.
  if(BITBLOCK_SANITIZE MATCHES "address")
    add_compile_definitions(BITBLOCK_ASAN=1)
  endif()
endif()

if(BITBLOCK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BITBLOCK_FUZZ needs clang (libFuzzer), e.g. -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  if(BITBLOCK_BUILD_TESTS OR BITBLOCK_SANITIZE)
    message(FATAL_ERROR "BITBLOCK_FUZZ accepts any CRC: configure it in its own folder with "
                        "-DBITBLOCK_BUILD_TESTS=OFF (sanitizers are on already)")
  endif()
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "bitblock: libFuzzer targets (fuzz/), CRC checks off")
endif()
