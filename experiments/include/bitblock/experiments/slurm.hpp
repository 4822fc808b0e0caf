#pragma once
// `bitblock sweep --emit slurm`: a sweep as Slurm batch scripts. The array script runs one grid
// point per task (`bitblock sweep --only $SLURM_ARRAY_TASK_ID`, threads from
// $SLURM_CPUS_PER_TASK), requeueable: a requeued task resumes its run from the checkpoint. The
// report script runs `bitblock report --rebuild` over the sweep folder; the submit script submits
// the array, then the report job with --dependency=afterany on it.
#include <string>
#include <vector>

#include "bitblock/experiments/runner.hpp"

namespace bitblock::experiments {

struct SlurmScripts {
  std::string array;   // sweep.sbatch
  std::string report;  // report.sbatch
  std::string submit;  // submit.sh: bash submit.sh [sbatch options for the array, e.g. --array=0-3]
};

// opt holds absolute paths (runs_dir, data_dir, binary); sets: the command line's --set
// overrides, repeated in each task; gpu: each task asks for one GPU (--gres=gpu:1) and trains
// with --device cuda (else with opt.device when set); script_dir: where the scripts are written.
SlurmScripts slurm_scripts(const SweepSpec& spec, const std::string& sweep_file, int num_points, const SweepOptions& opt,
                           const std::vector<std::string>& sets, bool gpu, const std::string& workdir,
                           const std::string& script_dir);

// Whether a sweep asks for a GPU: --device cuda, or (without --device) a valid point whose config
// trains on cuda (train.device: cuda).
bool sweep_wants_gpu(const std::vector<GridPoint>& points, const SweepOptions& opt);

}  // namespace bitblock::experiments
