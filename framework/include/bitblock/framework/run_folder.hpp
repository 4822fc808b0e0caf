#pragma once
// What `train` may do with the folder it writes into. A folder that holds a run (its
// checkpoint, metrics, summary or model file) is never overwritten by accident: continuing it
// takes --resume, starting over takes --restart. A run is resumed only with the settings it was
// started with, so a changed --config, --set or --seed is an error that names the difference.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitblock/common/folder_lock.hpp"
#include "bitblock/framework/checkpoint.hpp"
#include "bitblock/framework/config.hpp"

namespace bitblock {

enum class RunStart {
  New,      // the folder must not hold a run
  Resume,   // continue the run in the folder when it has a checkpoint, else start a new one
  Restart,  // start over: the previous run's results are removed first
};

// The results a run leaves in its folder: checkpoint.bbc, metrics.csv, summary.json,
// model.bbm, curves.png, and the hwsim report a sweep adds (hwsim/, hwsim.log).
const std::vector<std::string>& run_results();

struct OpenedRun {
  std::unique_ptr<FolderLock> lock;        // held while the run writes into the folder
  std::optional<Checkpoint> checkpoint;    // Resume of a run with a checkpoint
  std::optional<ExperimentConfig> config;  // that checkpoint's config (the run continues under it)
  std::vector<std::string> notes;          // for the run log: what was removed (Restart, stale temp files)
};

// Locks `dir` (one process writes a run folder at a time; InputError naming the holder's pid),
// checks it for `start` (InputError naming the folder or the checkpoint, before anything is
// written), creates it, removes temporary files of killed processes and, for Restart, the
// previous run's results. A config.yaml without a run (left by a run that never started, or put
// there by hand) is not overwritten by a new run unless it is the config of that run (a sweep
// writes it there) or --restart is given.
OpenedRun open_run_folder(const std::string& dir, RunStart start, const ExperimentConfig& config);

}  // namespace bitblock
