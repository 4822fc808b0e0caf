#pragma once
// Running a sweep: each grid point is a child process of the bitblock binary (`train`, then
// `hwsim` when the sweep names an architecture), so a crash in one run cannot take the sweep
// down. Finished runs (summary.json present) are skipped; a run with a checkpoint resumes.
#include <string>
#include <vector>

#include "bitblock/experiments/sweep.hpp"

namespace bitblock::experiments {

struct SweepOptions {
  std::string binary;            // the bitblock executable
  std::string runs_dir = "runs";
  std::string data_dir = "data";
  int jobs = 1;                  // runs at once
  int threads = 0;               // per run; 0: cores / jobs
  std::vector<std::string> overrides;  // --set for every run
};

struct SweepOutcome {
  int skipped_finished = 0, ran = 0, failed = 0, invalid = 0;
  bool interrupted = false;
  std::string results_csv;
};

std::string sweep_dir(const SweepSpec& spec, const SweepOptions& opt);

// Runs the given points (all, or one for --only); writes results.csv from the run folders.
SweepOutcome run_sweep(const SweepSpec& spec, const std::vector<GridPoint>& points, const SweepOptions& opt);

// A Slurm job-array script: one array task per grid point (`bitblock sweep --only $SLURM_ARRAY_TASK_ID`).
std::string slurm_script(const SweepSpec& spec, const std::string& sweep_file, int num_points, const SweepOptions& opt,
                         const std::string& workdir);

// Stops launching new runs (SIGINT handler of `bitblock sweep`).
void request_sweep_stop();

}  // namespace bitblock::experiments
