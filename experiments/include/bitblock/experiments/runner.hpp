#pragma once
// Running a sweep: each grid point is a child process of the bitblock binary (`train --config
// <run>/config.yaml`, then `export` of <run>/model.bbm in the --export formats, then `hwsim` on
// it when the run's config names an architecture), so a crash in one run cannot take the sweep down. A run is finished when its
// summary.json exists (then skipped; only a missing hwsim report is made up for); an unfinished
// run with a checkpoint resumes.
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
  std::string device;            // train --device of every run (cpu, cuda, auto); empty: the configs'
  // `export --format <f>` of each run's model.bbm to model.<f> (onnx, qonnx) after training; a
  // finished run that lacks one is exported on the next sweep.
  std::vector<std::string> export_formats;
  // Lock the sweep folder while running (one sweep at a time). Off for --only: a Slurm array's
  // tasks share the folder, each in its own run folder (which `train` locks).
  bool lock_folder = true;
};

struct SweepOutcome {
  int skipped_finished = 0, ran = 0, simulated_only = 0, failed = 0, invalid = 0;
  bool interrupted = false;
  std::string results_csv;
};

std::string sweep_dir(const SweepSpec& spec, const SweepOptions& opt);

// Threads each run gets: opt.threads, or the machine's cores split between the jobs.
int threads_per_run(const SweepOptions& opt);

// Before anything runs: every data set and hwsim architecture the given (valid) points need is
// there; InputError otherwise (the data loader's message says how to get the data).
void check_sweep_inputs(const std::vector<GridPoint>& points, const SweepOptions& opt);

// Runs the given points (all, or one for --only); rewrites results.csv from the run folders.
SweepOutcome run_sweep(const SweepSpec& spec, const std::vector<GridPoint>& points, const SweepOptions& opt);

// Stops launching new runs (SIGINT handler of `bitblock sweep`).
void request_sweep_stop();

}  // namespace bitblock::experiments
