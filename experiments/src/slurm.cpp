// `bitblock sweep --emit slurm`: the sweep as a Slurm job array, one grid point per task.
#include "bitblock/experiments/runner.hpp"

namespace bitblock::experiments {

namespace {

// Single-quoted for the shell.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string slurm_script(const SweepSpec& spec, const std::string& sweep_file, int num_points, const SweepOptions& opt,
                         const std::vector<std::string>& sets, const std::string& workdir) {
  const int cpus = opt.threads > 0 ? opt.threads : 4;
  const std::string dir = sweep_dir(spec, opt);
  std::string s;
  s += "#!/bin/bash\n";
  s += "#SBATCH --job-name=bitblock-" + spec.name + "\n";
  s += "#SBATCH --array=0-" + std::to_string(num_points - 1) + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(cpus) + "\n";
  s += "#SBATCH --output=" + dir + "/slurm-%A_%a.out\n";
  s += "# bitblock sweep '" + spec.name + "' as a Slurm job array: one grid point per array task, each\n";
  s += "# writing its own run folder under " + dir + "/ (resumable: resubmitting skips finished\n";
  s += "# runs). The output folder must exist before sbatch: mkdir -p " + dir + "\n";
  s += "# When all tasks are done, merge their folders into results.csv and the report:\n";
  s += "#   " + opt.binary + " report --rebuild " + dir + "\n";
  s += "set -euo pipefail\n";
  s += "cd " + quoted(workdir) + "\n";
  s += quoted(opt.binary) + " sweep --config " + quoted(sweep_file) + " --only \"$SLURM_ARRAY_TASK_ID\" --runs-dir " +
       quoted(opt.runs_dir) + " --data-dir " + quoted(opt.data_dir) + " --threads \"$SLURM_CPUS_PER_TASK\"";
  for (const std::string& o : sets) s += " --set " + quoted(o);
  for (const std::string& f : opt.export_formats) s += " --export " + f;
  s += "\n";
  return s;
}

}  // namespace bitblock::experiments
