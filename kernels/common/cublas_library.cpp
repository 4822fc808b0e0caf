// cuBLAS opened on first use (cublas_library.hpp). Empty in a CPU-only build.
#ifdef BITBLOCK_HAS_CUDA
#include "common/cublas_library.hpp"

#include <dlfcn.h>

#include <string>

#include "bitblock/kernels/cublas_check.hpp"

namespace bitblock::kernels::cuda {
namespace {

// cublas_v2.h maps the public names to versioned symbols (cublasCreate -> cublasCreate_v2):
// expand the macro before quoting so dlsym asks for the symbol the header declares.
#define BB_SYMBOL_NAME(name) BB_QUOTE(name)
#define BB_QUOTE(name) #name

void* open_library() {
  // The soname first (LD_LIBRARY_PATH and the loader cache decide, as for a linked library), then
  // the file this build was configured with.
  for (const char* file : {BITBLOCK_CUBLAS_SONAME, BITBLOCK_CUBLAS_PATH}) {
    if (void* handle = dlopen(file, RTLD_NOW | RTLD_LOCAL)) return handle;
  }
  const char* why = dlerror();
  cuda_fail("dlopen(" BITBLOCK_CUBLAS_SONAME ")", why ? why : "not found", __FILE__, __LINE__);
}

template <typename Fn>
void resolve(void* library, const char* symbol, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(library, symbol));
  if (!out) cuda_fail("dlsym", std::string(symbol) + " missing from " BITBLOCK_CUBLAS_SONAME, __FILE__, __LINE__);
}

CublasApi load() {
  void* library = open_library();  // kept open for the process: handles live until exit
  CublasApi api{};
  resolve(library, BB_SYMBOL_NAME(cublasCreate), api.create);
  resolve(library, BB_SYMBOL_NAME(cublasDestroy), api.destroy);
  resolve(library, BB_SYMBOL_NAME(cublasSetStream), api.set_stream);
  resolve(library, BB_SYMBOL_NAME(cublasSetWorkspace), api.set_workspace);
  resolve(library, BB_SYMBOL_NAME(cublasSetMathMode), api.set_math_mode);
  resolve(library, BB_SYMBOL_NAME(cublasSetAtomicsMode), api.set_atomics_mode);
  resolve(library, BB_SYMBOL_NAME(cublasGetStatusString), api.status_string);
  resolve(library, BB_SYMBOL_NAME(cublasSgemm), api.sgemm);
  return api;
}

}  // namespace

const CublasApi& cublas() {
  static const CublasApi api = load();
  return api;
}

const char* cublas_status_string(cublasStatus_t status) { return cublas().status_string(status); }

}  // namespace bitblock::kernels::cuda
#endif  // BITBLOCK_HAS_CUDA
