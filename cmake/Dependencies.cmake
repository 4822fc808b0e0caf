# Third-party libraries, all from Debian packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(cxxopts REQUIRED)

# OpenBLAS: the CBLAS interface for dense float GEMM (the baseline everything is measured against).
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas openblas-pthread REQUIRED)
find_library(OPENBLAS_LIBRARY NAMES openblas REQUIRED)
add_library(bitblock_openblas INTERFACE)
target_include_directories(bitblock_openblas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})
target_link_libraries(bitblock_openblas INTERFACE ${OPENBLAS_LIBRARY})
message(STATUS "bitblock: OpenBLAS ${OPENBLAS_LIBRARY} (cblas.h in ${OPENBLAS_INCLUDE_DIR})")

if(BITBLOCK_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(BITBLOCK_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# yaml-cpp 0.7 on Debian exports the target as "yaml-cpp" without a namespace.
if(TARGET yaml-cpp::yaml-cpp)
  set(BITBLOCK_YAML yaml-cpp::yaml-cpp)
else()
  set(BITBLOCK_YAML yaml-cpp)
endif()
