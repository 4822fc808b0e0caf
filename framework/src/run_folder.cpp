#include "bitblock/framework/run_folder.hpp"

#include <filesystem>

#include "bitblock/common/atomic_file.hpp"
#include "bitblock/common/error.hpp"

namespace bitblock {

namespace {

std::vector<std::string> present_results(const std::string& dir) {
  std::vector<std::string> present;
  for (const std::string& name : run_results())
    if (file_exists(dir + "/" + name)) present.push_back(name);
  return present;
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

}  // namespace

const std::vector<std::string>& run_results() {
  static const std::vector<std::string> names = {"checkpoint.bbc", "metrics.csv", "summary.json", "model.bbm",
                                                 "curves.png",     "hwsim",       "hwsim.log"};
  return names;
}

OpenedRun open_run_folder(const std::string& dir, RunStart start, const ExperimentConfig& config) {
  OpenedRun run;
  // An existing folder is locked before it is read; a new one as soon as it is made.
  if (std::filesystem::is_directory(dir)) run.lock = std::make_unique<FolderLock>(dir, "run folder");
  const std::string ckpt_path = dir + "/checkpoint.bbc";
  const std::vector<std::string> present = present_results(dir);
  if (start == RunStart::Resume && file_exists(ckpt_path)) {
    run.checkpoint = load_checkpoint(ckpt_path);
    run.config = parse_config(run.checkpoint->config_yaml, ckpt_path);
    const std::string diff = config_difference(*run.config, config);
    if (!diff.empty())
      fail_input(dir, "--resume with other settings than the run was started with: " + diff +
                          " (the checkpoint's value first, then --config/--set/--seed's); resume with the run's "
                          "settings, or start over with --restart");
  } else if (start != RunStart::Restart && !present.empty()) {
    fail_input(dir, "holds a run (" + listed(present) + "): " +
                        (start == RunStart::Resume ? std::string("it has no checkpoint.bbc to resume from; ")
                                                   : std::string("continue it with --resume, or ")) +
                        "start over with --restart (which removes them)");
  }
  if (start != RunStart::Restart && !run.checkpoint && present.empty() && file_exists(dir + "/config.yaml") &&
      !same_file(config.source, dir + "/config.yaml") && read_file(dir + "/config.yaml") != to_yaml(config))
    fail_input(dir + "/config.yaml", "exists, with other settings, in a folder without a run: a new run would "
                                     "overwrite it; use another --out, or --restart to replace it");
  make_dirs(dir);
  if (!run.lock) run.lock = std::make_unique<FolderLock>(dir, "run folder");
  if (start == RunStart::Restart && !present.empty()) {
    for (const std::string& name : present) {
      std::error_code ec;
      std::filesystem::remove_all(dir + "/" + name, ec);
      if (ec) fail_input(dir + "/" + name, "cannot remove it to start over: " + ec.message());
    }
    run.notes.push_back("restart: removed the previous run's " + listed(present));
  }
  const std::vector<std::string> stale = remove_stale_temp_files(dir);
  if (!stale.empty()) run.notes.push_back("removed temporary files of killed processes: " + listed(stale));
  return run;
}

}  // namespace bitblock
